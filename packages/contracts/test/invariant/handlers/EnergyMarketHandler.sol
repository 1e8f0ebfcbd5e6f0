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
    uint256 public constant SLOTS = 8;
    uint256 internal constant OUTSIDER_KEY = 0xBADBAD;

    TestStable public immutable stable;
    EnergyMarket public immutable market;
    address public immutable grid;
    address public immutable minter;
    uint64 public immutable firstSlot;
    uint256[] internal _oracleKeys; // 3 oracles, threshold 2

    /// @dev Actors 0..ACTORS-1 deposit; the grid account is payee number ACTORS.
    address[] internal _payees;

    // The tree of each settled slot: payees with a non-zero leaf, in payee order.
    mapping(uint64 slot => address[]) internal _treeAccounts;
    mapping(uint64 slot => uint256[]) internal _treeAmounts;

    // Ghost books.
    uint256 public tokensIn; // deposits + reserve funding
    uint256 public tokensOut; // withdrawals + reclaims + reserve withdrawals
    mapping(address account => uint256) public received;
    mapping(uint64 slot => uint256) public ghostPaidOut;
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

    /// @dev An honest settlement: the slot's escrow plus a draw on the reserve, split at random over the payees.
    function settleHonest(uint256 slotSeed, uint256 splitSeed, uint256 drawSeed, bool allOracles) external {
        uint64 slot = _slot(slotSeed);
        if (market.settlementOf(slot).settled) return;
        uint256 end = market.slotEnd(slot);
        if (block.timestamp < end) vm.warp(end);
        if (block.timestamp >= end + market.settlementWindow()) return;
        uint256 reserve = market.gridReserve();
        uint256 draw = reserve == 0 ? 0 : drawSeed % (reserve + 1);
        uint256 total = market.escrowed(slot) + draw;
        if (total == 0) return;

        bytes32 root = _buildTree(slot, total, splitSeed);
        uint256[] memory keys = allOracles ? _keysOf(0, 1, 2) : _keysOf(splitSeed % 3, (splitSeed + 1) % 3);
        _settleSigned(_sorted(keys), slot, root, total, draw);
        ++honestSettlements;
    }

    /// @dev A settlement that must fail: unbalanced, over the reserve, too few signatures, an outsider, unsorted or
    ///      duplicated signers, or signatures made on another chain.
    function settleBad(uint256 slotSeed, uint256 seed, uint8 kind) external {
        uint64 slot = _slot(slotSeed);
        uint256 end = market.slotEnd(slot);
        if (block.timestamp < end) vm.warp(end);
        uint256 escrow = market.escrowed(slot);
        uint256 draw;
        uint256 total = escrow;
        bytes32 root = keccak256(abi.encode("forged", seed));
        bytes32 statement = bytes32(seed);
        uint256[] memory keys = _sorted(_keysOf(0, 1));
        kind = kind % 7;
        if (kind == 0) total = escrow + 1 + seed % 1e24;
        if (kind == 1) (draw, total) = (market.gridReserve() + 1, escrow + market.gridReserve() + 1);
        if (kind == 2) keys = _keysOf(seed % 3);
        if (kind == 3) keys = _sorted(_pair(_oracleKeys[seed % 3], OUTSIDER_KEY));
        if (kind == 4) (keys[0], keys[1]) = (keys[1], keys[0]);
        if (kind == 5) keys = _pair(_oracleKeys[seed % 3], _oracleKeys[seed % 3]);
        bytes[] memory signatures;
        if (kind == 6) {
            uint256 chainId = block.chainid;
            vm.chainId(chainId + 1 + seed % 1000);
            signatures = _sign(keys, slot, root, total, draw, statement);
            vm.chainId(chainId);
        } else {
            signatures = _sign(keys, slot, root, total, draw, statement);
        }
        try market.settle(slot, root, total, draw, statement, signatures) {
            ++badAccepted;
        } catch {}
    }

    /// @dev Splits `total` at random over the payees and stores the slot's tree; returns its root.
    function _buildTree(uint64 slot, uint256 total, uint256 splitSeed) internal returns (bytes32) {
        uint256[] memory shares = new uint256[](_payees.length);
        uint256 left = total;
        for (uint256 i; i + 1 < _payees.length; ++i) {
            shares[i] = uint256(keccak256(abi.encode(splitSeed, i))) % (left + 1);
            left -= shares[i];
        }
        shares[_payees.length - 1] = left;
        delete _treeAccounts[slot];
        delete _treeAmounts[slot];
        for (uint256 i; i < _payees.length; ++i) {
            if (shares[i] == 0) continue;
            _treeAccounts[slot].push(_payees[i]);
            _treeAmounts[slot].push(shares[i]);
        }
        return Merkle.root(Merkle.leaves(_treeAccounts[slot], _treeAmounts[slot]));
    }

    function _settleSigned(uint256[] memory keys, uint64 slot, bytes32 root, uint256 total, uint256 draw) internal {
        bytes32 statement = keccak256(abi.encode("statement", slot));
        market.settle(slot, root, total, draw, statement, _sign(keys, slot, root, total, draw, statement));
    }

    function withdraw(uint256 slotSeed, uint256 entrySeed, bool relayed) external {
        uint64 slot = _slot(slotSeed);
        uint256 n = _treeAccounts[slot].length;
        if (n == 0) return;
        uint256 i = entrySeed % n;
        address account = _treeAccounts[slot][i];
        if (market.withdrawn(slot, account)) return;
        uint256 amount = _treeAmounts[slot][i];
        if (relayed) vm.prank(address(0x4E1A7));
        market.withdraw(slot, account, amount, Merkle.proof(_leaves(slot), i));
        _paid(slot, account, amount);
    }

    function withdrawMany(uint256 slotSeed) external {
        uint64 slot = _slot(slotSeed);
        uint256 n = _treeAccounts[slot].length;
        if (n == 0) return;
        uint64[] memory slots = new uint64[](n);
        bytes32[][] memory proofs = new bytes32[][](n);
        bytes32[] memory leaves = _leaves(slot);
        uint256 expected;
        for (uint256 i; i < n; ++i) {
            slots[i] = slot;
            proofs[i] = Merkle.proof(leaves, i);
            if (!market.withdrawn(slot, _treeAccounts[slot][i])) {
                _paid(slot, _treeAccounts[slot][i], _treeAmounts[slot][i]);
                expected += _treeAmounts[slot][i];
            }
        }
        uint256 paid = market.withdrawMany(slots, _treeAccounts[slot], _treeAmounts[slot], proofs);
        require(paid == expected, "withdrawMany paid the wrong amount");
    }

    /// @dev Withdrawals that must fail: a leaf's amount plus something, or another payee's proof.
    function withdrawWrong(uint256 slotSeed, uint256 entrySeed, uint256 extra) external {
        uint64 slot = _slot(slotSeed);
        uint256 n = _treeAccounts[slot].length;
        if (n == 0) return;
        uint256 i = entrySeed % n;
        address account = _treeAccounts[slot][i];
        if (market.withdrawn(slot, account)) return;
        try market.withdraw(slot, account, _treeAmounts[slot][i] + 1 + extra % 1e24, Merkle.proof(_leaves(slot), i)) {
            ++badAccepted;
        } catch {}
    }

    function reclaim(uint256 actorSeed, uint256 slotSeed) external {
        uint64 slot = _slot(slotSeed);
        address actor = _payees[actorSeed % ACTORS];
        uint256 amount = market.escrowOf(slot, actor);
        if (amount == 0 || market.settlementOf(slot).settled) return;
        if (block.timestamp < market.slotEnd(slot) + market.settlementWindow()) return;
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

    function slotAt(uint256 i) external view returns (uint64) {
        return firstSlot + uint64(i);
    }

    // ---------------------------------------------------------------- helpers

    function _paid(uint64 slot, address account, uint256 amount) internal {
        tokensOut += amount;
        received[account] += amount;
        ghostPaidOut[slot] += amount;
        ++withdrawals;
    }

    function _slot(uint256 seed) internal view returns (uint64) {
        return firstSlot + uint64(seed % SLOTS);
    }

    function _leaves(uint64 slot) internal view returns (bytes32[] memory) {
        return Merkle.leaves(_treeAccounts[slot], _treeAmounts[slot]);
    }

    function _mintTo(address who, uint256 amount) internal {
        vm.prank(minter);
        stable.mint(who, amount);
        vm.prank(who);
        stable.approve(address(market), type(uint256).max);
    }

    function _sign(uint256[] memory keys, uint64 slot, bytes32 root, uint256 total, uint256 draw, bytes32 statement)
        internal
        view
        returns (bytes[] memory signatures)
    {
        bytes32 digest = market.settlementDigest(slot, root, total, draw, statement);
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
