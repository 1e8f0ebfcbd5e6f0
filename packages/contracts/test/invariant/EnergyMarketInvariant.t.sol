// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EnergyMarket} from "../../src/EnergyMarket.sol";
import {IOracleQuorum} from "../../src/interfaces/IEnergyMarket.sol";
import {EnergyMarketFixture} from "../utils/EnergyMarketFixture.sol";
import {FuzzSelector} from "../utils/Test.sol";
import {EnergyMarketHandler} from "./handlers/EnergyMarketHandler.sol";

/// @notice Money invariants of the energy market: escrow balances to the last unit under random deposits, honest
///         and forged settlements, withdrawals, reclaims and the passing of time.
contract EnergyMarketInvariantTest is EnergyMarketFixture {
    EnergyMarketHandler internal handler;

    function setUp() public {
        _deployMarket();
        // A short settlement window, so that campaigns reach the reclaim path too.
        market = new EnergyMarket(stable, IOracleQuorum(address(distributor)), governance, grid, SLOT_SECONDS, 12 hours);
        vm.warp(1_800_000_000);
        handler = new EnergyMarketHandler(stable, market, governance, oracleKeys);
        vm.label(address(handler), "EnergyMarketHandler");
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory selectors) {
        bytes4[] memory actions = new bytes4[](11);
        actions[0] = EnergyMarketHandler.deposit.selector;
        actions[1] = EnergyMarketHandler.depositMany.selector;
        actions[2] = EnergyMarketHandler.fundReserve.selector;
        actions[3] = EnergyMarketHandler.withdrawReserve.selector;
        actions[4] = EnergyMarketHandler.settleHonest.selector;
        actions[5] = EnergyMarketHandler.settleBad.selector;
        actions[6] = EnergyMarketHandler.withdraw.selector;
        actions[7] = EnergyMarketHandler.withdrawMany.selector;
        actions[8] = EnergyMarketHandler.withdrawWrong.selector;
        actions[9] = EnergyMarketHandler.reclaim.selector;
        actions[10] = EnergyMarketHandler.warp.selector;
        selectors = new FuzzSelector[](1);
        selectors[0] = FuzzSelector({addr: address(handler), selectors: actions});
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_balanceEqualsEscrowPlusReservePlusOwed() public view {
        assertEq(
            stable.balanceOf(address(market)),
            market.escrowHeld() + market.gridReserve() + market.owed(),
            "balance vs books"
        );
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_everyUnitInIsHeldOrPaidOut() public view {
        assertEq(handler.tokensIn() - handler.tokensOut(), stable.balanceOf(address(market)), "ghost in - out");
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_payeesHoldExactlyWhatTheyWerePaid() public view {
        address[] memory payees = handler.payees();
        for (uint256 i; i < payees.length; ++i) {
            assertEq(stable.balanceOf(payees[i]), handler.received(payees[i]), "payee balance vs ghost");
        }
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_nobodyIsPaidMoreThanItsCumulativeAmount() public view {
        address[] memory payees = handler.payees();
        uint256 sum;
        for (uint256 i; i < payees.length; ++i) {
            assertEq(market.withdrawn(payees[i]), handler.withdrawnGhost(payees[i]), "withdrawn vs ghost");
            assertLe(market.withdrawn(payees[i]), handler.cumulative(i), "withdrawn above cumulative");
            sum += handler.cumulative(i);
        }
        assertEq(market.currentTotal(), sum, "total vs the leaves");
        assertLe(market.totalWithdrawn(), market.currentTotal(), "withdrawn above total");
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_forgedSettlementsAndWrongWithdrawalsNeverPass() public view {
        assertEq(handler.badAccepted(), 0, "a forged settlement or wrong withdrawal passed");
    }

    /// @dev The handler's paths work at all: deposit, settle with a reserve draw, withdraw one and many, reclaim.
    function test_handler_walksEveryPath() public {
        handler.deposit(0, 0, 1000);
        handler.deposit(1, 0, 500);
        handler.depositMany(2, 1 + 24 * 2, 700);
        handler.fundReserve(300);
        handler.settleHonest(0, 42, 77, false);
        handler.withdraw(0, false);
        handler.withdrawMany();
        handler.withdrawWrong(0, 5);
        handler.settleBad(1, 7, 1);
        handler.warp(1 days - 1);
        handler.reclaim(2, 1);
        assertEq(handler.honestSettlements(), 1);
        assertTrue(handler.withdrawals() >= 1, "withdrawals");
        assertEq(handler.reclaims(), 1);
        assertEq(handler.badAccepted(), 0);
        invariant_balanceEqualsEscrowPlusReservePlusOwed();
        invariant_everyUnitInIsHeldOrPaidOut();
        invariant_payeesHoldExactlyWhatTheyWerePaid();
        invariant_nobodyIsPaidMoreThanItsCumulativeAmount();
        assertEq(market.owed(), 0);
    }
}
