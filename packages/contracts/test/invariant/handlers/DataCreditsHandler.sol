// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DataCredits} from "../../../src/DataCredits.sol";
import {GroundToken} from "../../../src/GroundToken.sol";
import {IDataCredits} from "../../../src/interfaces/IDataCredits.sol";
import {Test} from "../../utils/Test.sol";

/// @notice Drives DataCredits like a network would: actors buy credits for themselves or others, spend them on
///         fees, and the handler (an authorized spender) settles signed sessions; oracles move the price and time
///         passes. Ghost books record what each actor minted and spent so the invariants can compare.
contract DataCreditsHandler is Test {
    uint256 public constant ACTORS = 4;
    uint256 public constant SESSIONS = 6;

    GroundToken public immutable token;
    DataCredits public immutable credits;
    uint256[] internal _oracleKeys;

    uint256[ACTORS] internal _actorKeys;
    mapping(address account => uint256) public ghostMinted;
    mapping(address account => uint256) public ghostSpent;
    uint256 public ghostBurned;
    uint256 public ghostMintedTotal;
    uint256 public ghostSpentTotal;
    /// @dev Session cap the handler signed for (client index, session index).
    mapping(uint256 client => mapping(uint256 session => uint256)) public sessionCap;
    uint256 public rejectedOverCap;

    constructor(GroundToken token_, DataCredits credits_, uint256[] memory oracleKeys_) {
        token = token_;
        credits = credits_;
        _oracleKeys = oracleKeys_;
        for (uint256 i; i < ACTORS; ++i) {
            _actorKeys[i] = 0xAC7 + i;
        }
    }

    function actor(uint256 i) public view returns (address) {
        return vm.addr(_actorKeys[i % ACTORS]);
    }

    function buy(uint256 payerSeed, uint256 toSeed, uint256 tokens) external {
        address payer = actor(payerSeed);
        address to = actor(toSeed);
        (uint256 priceE8, uint64 ts) = credits.price();
        if (priceE8 == 0 || block.timestamp - ts > credits.maxPriceAge()) return;
        uint256 balance = token.balanceOf(payer);
        tokens = tokens % (balance + 1);
        uint256 expected = tokens * priceE8 / 1e21;
        if (expected == 0) return;
        vm.startPrank(payer);
        token.approve(address(credits), tokens);
        uint256 minted = credits.mint(to, tokens, expected);
        vm.stopPrank();
        require(minted == expected, "minted != expected");
        ghostMinted[to] += minted;
        ghostMintedTotal += minted;
        ghostBurned += tokens;
    }

    function spend(uint256 who, uint256 amount) external {
        address a = actor(who);
        uint256 balance = credits.balanceOf(a);
        if (balance == 0) return;
        amount = 1 + amount % balance;
        vm.prank(a);
        credits.spend(amount, bytes32("fee"), bytes32(0));
        ghostSpent[a] += amount;
        ghostSpentTotal += amount;
    }

    function settle(uint256 clientSeed, uint256 sessionSeed, uint256 cap, uint256 cumulative) external {
        uint256 c = clientSeed % ACTORS;
        uint256 s = sessionSeed % SESSIONS;
        // A session's cap is fixed by the first signature; later debits reuse it.
        uint256 maxCredits = sessionCap[c][s];
        if (maxCredits == 0) {
            maxCredits = 1 + cap % 1_000_000;
            sessionCap[c][s] = maxCredits;
        }
        cumulative = cumulative % 2_000_000;
        address client = vm.addr(_actorKeys[c]);
        bytes32 sessionId = bytes32(s);
        uint64 deadline = uint64(block.timestamp + 1 days);
        bytes32 digest = credits.sessionAuthorizationDigest(sessionId, 99, maxCredits, deadline);
        (uint8 v, bytes32 r, bytes32 sig) = vm.sign(_actorKeys[c], digest);
        IDataCredits.SessionDebit[] memory batch = new IDataCredits.SessionDebit[](1);
        batch[0] = IDataCredits.SessionDebit({
            client: client,
            sessionId: sessionId,
            provider: 99,
            maxCredits: maxCredits,
            deadline: deadline,
            cumulativeCredits: cumulative,
            signature: abi.encodePacked(r, sig, v)
        });
        uint256 debited = credits.settleSessions(batch);
        ghostSpent[client] += debited;
        ghostSpentTotal += debited;
    }

    function setPrice(uint256 priceE8) external {
        priceE8 = 1 + priceE8 % 1e12;
        vm.warp(block.timestamp + 1);
        uint64 ts = uint64(block.timestamp);
        bytes32 digest = credits.priceUpdateDigest(priceE8, ts);
        uint256 a = _oracleKeys[0];
        uint256 b = _oracleKeys[1];
        if (vm.addr(b) < vm.addr(a)) (a, b) = (b, a);
        bytes[] memory sigs = new bytes[](2);
        (uint8 v1, bytes32 r1, bytes32 s1) = vm.sign(a, digest);
        (uint8 v2, bytes32 r2, bytes32 s2) = vm.sign(b, digest);
        sigs[0] = abi.encodePacked(r1, s1, v1);
        sigs[1] = abi.encodePacked(r2, s2, v2);
        credits.setPrice(priceE8, ts, sigs);
    }

    function wait(uint256 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 7200);
    }
}
