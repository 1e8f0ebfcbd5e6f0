// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DataCredits} from "../../src/DataCredits.sol";
import {EmissionSchedule} from "../../src/EmissionSchedule.sol";
import {GroundToken} from "../../src/GroundToken.sol";
import {RewardsDistributor} from "../../src/RewardsDistributor.sol";
import {IRewardsDistributor} from "../../src/interfaces/IRewardsDistributor.sol";
import {FuzzSelector, Test} from "../utils/Test.sol";
import {DataCreditsHandler} from "./handlers/DataCreditsHandler.sol";

/// @notice Burn-and-mint money invariants: the token supply drops by exactly what was burned for credits; credits
///         equal minted minus spent, in total and per account (they never move between accounts); a session never
///         costs more than its client signed for.
contract DataCreditsInvariantTest is Test {
    uint256 internal constant INITIAL = 1_000_000e18;

    GroundToken internal token;
    DataCredits internal credits;
    DataCreditsHandler internal handler;

    function setUp() public {
        vm.warp(1_000_000);
        address governance = address(0x60F);
        token = new GroundToken(100_000_000e18, governance);
        EmissionSchedule schedule = new EmissionSchedule(token, 1_000e18, 100, governance);
        vm.prank(governance);
        token.setMinter(address(this));
        uint256[] memory oracleKeys = new uint256[](3);
        address[] memory oracles = new address[](3);
        for (uint256 i; i < 3; ++i) {
            oracleKeys[i] = 0x0A1 + i;
            oracles[i] = vm.addr(oracleKeys[i]);
        }
        RewardsDistributor distributor = new RewardsDistributor(token, schedule, governance, oracles, 2);
        credits = new DataCredits(token, IRewardsDistributor(address(distributor)), governance, 3600);
        handler = new DataCreditsHandler(token, credits, oracleKeys);
        vm.prank(governance);
        credits.setSpender(address(handler), true);
        for (uint256 i; i < handler.ACTORS(); ++i) {
            token.mint(handler.actor(i), INITIAL / handler.ACTORS());
        }
        handler.setPrice(50_000_000);
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory selectors) {
        bytes4[] memory actions = new bytes4[](5);
        actions[0] = DataCreditsHandler.buy.selector;
        actions[1] = DataCreditsHandler.spend.selector;
        actions[2] = DataCreditsHandler.settle.selector;
        actions[3] = DataCreditsHandler.setPrice.selector;
        actions[4] = DataCreditsHandler.wait.selector;
        selectors = new FuzzSelector[](1);
        selectors[0] = FuzzSelector({addr: address(handler), selectors: actions});
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_supplyDropsExactlyByTokensBurned() public view {
        assertEq(token.totalSupply(), INITIAL - handler.ghostBurned());
        assertEq(credits.totalTokensBurned(), handler.ghostBurned());
        assertEq(token.balanceOf(address(credits)), 0);
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_creditsAreMintedMinusSpentPerAccount() public view {
        uint256 sum;
        for (uint256 i; i < handler.ACTORS(); ++i) {
            address a = handler.actor(i);
            uint256 balance = credits.balanceOf(a);
            assertEq(balance, handler.ghostMinted(a) - handler.ghostSpent(a));
            sum += balance;
        }
        assertEq(sum, credits.totalSupply());
        assertEq(credits.totalSupply(), credits.totalMinted() - credits.totalSpent());
        assertEq(credits.totalMinted(), handler.ghostMintedTotal());
        assertEq(credits.totalSpent(), handler.ghostSpentTotal());
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_sessionsNeverCostMoreThanSigned() public view {
        for (uint256 c; c < handler.ACTORS(); ++c) {
            for (uint256 s; s < handler.SESSIONS(); ++s) {
                uint256 debited = credits.debitedOf(handler.actor(c), bytes32(s));
                assertLe(debited, handler.sessionCap(c, s), "session debited above its signed cap");
            }
        }
    }
}
