// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EnergyMarket} from "../../../src/EnergyMarket.sol";
import {TestStable} from "../../../src/TestStable.sol";
import {Merkle} from "../../utils/Merkle.sol";
import {Vm} from "../../utils/Test.sol";

/// @notice Drives the energy market through deposits, reserve funding, honest and forged settlements, withdrawals
///         (single, batched, wrong), reclaims and the passing of time, keeping ghost books of every unit that moved.
contract EnergyMarketHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 public constant ACTORS = 4;
    uint256 public constant SLOTS = 24;
    uint256 internal constant OUTSIDER_KEY = 0xBADBAD;

    TestStable public immutable stable;
    EnergyMarket public immutable market;
    address public immutable grid;
    address public immutable minter;
    uint64 public immutable firstSlot;
    uint256[] internal _oracleKeys; // 3 oracles, threshold 2

    /// @dev Actors 0..ACTORS-1 deposit; the grid account is payee number ACTORS.
    address[] internal _payees;
    /// @dev Each payee's cumulative amount in the current root.
    uint256[] internal _cumulative;
    /// @dev The current tree: payees with a non-zero cumulative amount, in payee order.
    address[] internal _treeAccounts;
    uint256[] internal _treeAmounts;
    uint256[] internal _treeIndex; // payee index → position in the tree + 1 (0: not in it)

    // Ghost books.
    uint256 public tokensIn; // deposits + reserve funding
    uint256 public tokensOut; // withdrawals + reclaims + reserve withdrawals
    mapping(address account => uint256) public received;
    mapping(address account => uint256) public withdrawnGhost;
    uint256 public badAccepted;
    uint256 public honestSettlements;
    uint256 public withdrawals;
    uint256 public reclaims;

    constructor(TestStable stable_, EnergyMarket market_, address minter_, uint256[] memory keys) {
        stable = stable_;
        market = market_;
        minter = minter_;
        grid = market_.gridAccount();
        _oracleKeys = keys;
        firstSlot = uint64(block.timestamp / market_.slotSeconds() + 4);
        for (uint256 i; i < ACTORS; ++i) {
            _payees.push(vm.addr(0xE0000 + i));
        }
        _payees.push(grid);
        for (uint256 i; i <= ACTORS; ++i) {
            _cumulative.push(0);
            _treeIndex.push(0);
        }
    }

    // ---------------------------------------------------------------- actions

    function deposit(uint256 actorSeed, uint256 slotSeed, uint256 amount) external {
        uint64 slot = _slot(slotSeed);
        if (block.timestamp >= market.slotStart(slot)) return;
        address actor = _payees[actorSeed % ACTORS];
        amount = 1 + amount % 1e24;
        _mintTo(actor, amount);
        vm.prank(actor);
        market.deposit(slot, amount);
        tokensIn += amount;
    }

    function depositMany(uint256 actorSeed, uint256 slotSeed, uint256 amount) external {
        uint64 a = _slot(slotSeed);
        uint64 b = _slot(slotSeed / SLOTS);
        if (block.timestamp >= market.slotStart(a) || block.timestamp >= market.slotStart(b)) return;
        address actor = _payees[actorSeed % ACTORS];
        amount = 1 + amount % 1e24;
        uint64[] memory slots = new uint64[](2);
        (slots[0], slots[1]) = (a, b);
        uint256[] memory amounts = new uint256[](2);
        (amounts[0], amounts[1]) = (amount, amount / 2 + 1);
        _mintTo(actor, amounts[0] + amounts[1]);
        vm.prank(actor);
        market.depositMany(slots, amounts);
        tokensIn += amounts[0] + amounts[1];
    }

    function fundReserve(uint256 amount) external {
        amount = 1 + amount % 1e24;
        _mintTo(grid, amount);
        vm.prank(grid);
        market.fundGridReserve(amount);
        tokensIn += amount;
    }

    function withdrawReserve(uint256 amount) external {
        uint256 reserve = market.gridReserve();
        if (reserve == 0) return;
        amount = 1 + amount % reserve;
        vm.prank(grid);
        market.withdrawGridReserve(amount);
        tokensOut += amount;
        received[grid] += amount;
    }

    /// @dev An honest settlement of a slot after the last: the slot's escrow plus a draw on the reserve, added at
    ///      random to the payees' cumulative amounts.
    function settleHonest(uint256 slotSeed, uint256 splitSeed, uint256 drawSeed, bool allOracles) external {
        uint64 previous = market.lastSlot();
        uint64 slot = previous < firstSlot ? _slot(slotSeed % 4) : previous + 1 + uint64(slotSeed % 3);
        if (slot >= firstSlot + SLOTS) return;
        uint256 end = market.slotEnd(slot);
        if (block.timestamp < end) vm.warp(end);
        if (block.timestamp >= end + market.settlementWindow()) return;
        uint256 reserve = market.gridReserve();
        uint256 draw = reserve == 0 ? 0 : drawSeed % (reserve + 1);
        uint256 growth = market.escrowed(slot) + draw;
        if (growth == 0) return;
        Attempt memory a = Attempt({
            slot: slot,
            previous: previous,
            root: _grow(growth, splitSeed),
            total: market.currentTotal() + growth,
            draw: draw,
            statement: keccak256(abi.encode("statement", slot))
        });
        uint256[] memory keys = allOracles ? _keysOf(0, 1, 2) : _keysOf(splitSeed % 3, (splitSeed + 1) % 3);
        bytes[] memory signatures = _signAttempt(_sorted(keys), a);
        market.settle(a.slot, a.previous, a.root, a.total, a.draw, a.statement, signatures);
        ++honestSettlements;
    }

    /// @dev A settlement's fields, kept together (the stack is shallow).
    struct Attempt {
        uint64 slot;
        uint64 previous;
        bytes32 root;
        uint256 total;
        uint256 draw;
        bytes32 statement;
    }

    /// @dev A settlement that must fail: unbalanced, over the reserve, not chained to the last one, too few
    ///      signatures, an outsider, unsorted or duplicated signers, or signatures made on another chain.
    function settleBad(uint256 slotSeed, uint256 seed, uint8 kind) external {
        Attempt memory a;
        a.previous = market.lastSlot();
        a.slot = _slot(slotSeed);
        uint256 end = market.slotEnd(a.slot);
        if (block.timestamp < end) vm.warp(end);
        a.total = market.currentTotal() + market.escrowed(a.slot);
        a.root = keccak256(abi.encode("forged", seed));
        a.statement = bytes32(seed);
        uint256[] memory keys = _sorted(_keysOf(0, 1));
        kind = kind % 8;
        if (kind == 0) a.total += 1 + seed % 1e24;
        if (kind == 1) (a.draw, a.total) = (market.gridReserve() + 1, a.total + market.gridReserve() + 1);
        if (kind == 2) a.previous = a.previous + 1 + uint64(seed % 5);
        if (kind == 3) keys = _keysOf(seed % 3);
        if (kind == 4) keys = _sorted(_pair(_oracleKeys[seed % 3], OUTSIDER_KEY));
        if (kind == 5) (keys[0], keys[1]) = (keys[1], keys[0]);
        if (kind == 6) keys = _pair(_oracleKeys[seed % 3], _oracleKeys[seed % 3]);
        uint256 chainId = block.chainid;
        if (kind == 7) vm.chainId(chainId + 1 + seed % 1000);
        bytes[] memory signatures = _signAttempt(keys, a);
        if (kind == 7) vm.chainId(chainId);
        try market.settle(a.slot, a.previous, a.root, a.total, a.draw, a.statement, signatures) {
            ++badAccepted;
        } catch {}
    }

    function _signAttempt(uint256[] memory keys, Attempt memory a) internal view returns (bytes[] memory) {
        return _sign(keys, a.slot, a.previous, a.root, a.total, a.draw, a.statement);
    }

    function withdraw(uint256 payeeSeed, bool relayed) external {
        uint256 p = payeeSeed % _payees.length;
        address account = _payees[p];
        uint256 owed = _cumulative[p] - market.withdrawn(account);
        if (owed == 0 || _treeIndex[p] == 0) return;
        if (relayed) vm.prank(address(0x4E1A7));
        uint256 paid = market.withdraw(account, _cumulative[p], Merkle.proof(_leaves(), _treeIndex[p] - 1));
        require(paid == owed, "withdraw paid the wrong amount");
        _paid(account, paid);
    }

    function withdrawMany() external {
        uint256 n = _treeAccounts.length;
        if (n == 0) return;
        bytes32[][] memory proofs = new bytes32[][](n);
        bytes32[] memory leaves = _leaves();
        uint256 expected;
        for (uint256 i; i < n; ++i) {
            proofs[i] = Merkle.proof(leaves, i);
            uint256 owed = _treeAmounts[i] - market.withdrawn(_treeAccounts[i]);
            if (owed != 0) {
                _paid(_treeAccounts[i], owed);
                expected += owed;
            }
        }
        uint256 paid = market.withdrawMany(_treeAccounts, _treeAmounts, proofs);
        require(paid == expected, "withdrawMany paid the wrong amount");
    }

    /// @dev Withdrawals that must fail: a cumulative amount above the payee's leaf.
    function withdrawWrong(uint256 payeeSeed, uint256 extra) external {
        uint256 p = payeeSeed % _payees.length;
        if (_treeIndex[p] == 0) return;
        try market.withdraw(_payees[p], _cumulative[p] + 1 + extra % 1e24, Merkle.proof(_leaves(), _treeIndex[p] - 1)) {
            ++badAccepted;
        } catch {}
    }

    function reclaim(uint256 actorSeed, uint256 slotSeed) external {
        uint64 slot = _slot(slotSeed);
        address actor = _payees[actorSeed % ACTORS];
        uint256 amount = market.escrowOf(slot, actor);
        if (amount == 0 || market.isSettled(slot)) return;
        bool passedOver = slot < market.lastSlot();
        if (!passedOver && block.timestamp < market.slotEnd(slot) + market.settlementWindow()) return;
        vm.prank(actor);
        market.reclaim(slot);
        tokensOut += amount;
        received[actor] += amount;
        ++reclaims;
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + 1 + secondsAhead % 1 days);
    }

    // ---------------------------------------------------------------- views for the invariants

    function payees() external view returns (address[] memory) {
        return _payees;
    }

    function cumulative(uint256 i) external view returns (uint256) {
        return _cumulative[i];
    }

    // ---------------------------------------------------------------- helpers

    /// @dev Adds `growth` at random to the payees' cumulative amounts and rebuilds the tree; returns its root.
    function _grow(uint256 growth, uint256 splitSeed) internal returns (bytes32) {
        uint256 left = growth;
        for (uint256 i; i < _payees.length; ++i) {
            uint256 share = i + 1 == _payees.length ? left : uint256(keccak256(abi.encode(splitSeed, i))) % (left + 1);
            _cumulative[i] += share;
            left -= share;
        }
        delete _treeAccounts;
        delete _treeAmounts;
        for (uint256 i; i < _payees.length; ++i) {
            _treeIndex[i] = 0;
            if (_cumulative[i] == 0) continue;
            _treeAccounts.push(_payees[i]);
            _treeAmounts.push(_cumulative[i]);
            _treeIndex[i] = _treeAccounts.length;
        }
        return Merkle.root(_leaves());
    }

    function _paid(address account, uint256 amount) internal {
        tokensOut += amount;
        received[account] += amount;
        withdrawnGhost[account] += amount;
        ++withdrawals;
    }

    function _slot(uint256 seed) internal view returns (uint64) {
        return firstSlot + uint64(seed % SLOTS);
    }

    function _leaves() internal view returns (bytes32[] memory) {
        return Merkle.leaves(_treeAccounts, _treeAmounts);
    }

    function _mintTo(address who, uint256 amount) internal {
        vm.prank(minter);
        stable.mint(who, amount);
        vm.prank(who);
        stable.approve(address(market), type(uint256).max);
    }

    function _sign(
        uint256[] memory keys,
        uint64 slot,
        uint64 previous,
        bytes32 root,
        uint256 total,
        uint256 draw,
        bytes32 statement
    ) internal view returns (bytes[] memory signatures) {
        bytes32 digest = market.settlementDigest(slot, previous, root, total, draw, statement);
        signatures = new bytes[](keys.length);
        for (uint256 i; i < keys.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[i], digest);
            signatures[i] = abi.encodePacked(r, s, v);
        }
    }

    function _keysOf(uint256 a) internal view returns (uint256[] memory keys) {
        keys = new uint256[](1);
        keys[0] = _oracleKeys[a];
    }

    function _keysOf(uint256 a, uint256 b) internal view returns (uint256[] memory) {
        return _pair(_oracleKeys[a], _oracleKeys[b]);
    }

    function _keysOf(uint256 a, uint256 b, uint256 c) internal view returns (uint256[] memory keys) {
        keys = new uint256[](3);
        (keys[0], keys[1], keys[2]) = (_oracleKeys[a], _oracleKeys[b], _oracleKeys[c]);
    }

    function _pair(uint256 a, uint256 b) internal pure returns (uint256[] memory keys) {
        keys = new uint256[](2);
        (keys[0], keys[1]) = (a, b);
    }

    function _sorted(uint256[] memory keys) internal pure returns (uint256[] memory) {
        for (uint256 i = 1; i < keys.length; ++i) {
            uint256 key = keys[i];
            uint256 j = i;
            while (j > 0 && vm.addr(keys[j - 1]) > vm.addr(key)) {
                keys[j] = keys[j - 1];
                --j;
            }
            keys[j] = key;
        }
        return keys;
    }
}
