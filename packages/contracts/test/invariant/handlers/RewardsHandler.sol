// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EmissionSchedule} from "../../../src/EmissionSchedule.sol";
import {GroundToken} from "../../../src/GroundToken.sol";
import {RewardsDistributor} from "../../../src/RewardsDistributor.sol";
import {Merkle} from "../../utils/Merkle.sol";
import {Vm} from "../../utils/Test.sol";

/// @notice Drives the distributor through honest epochs, claims (single, batched, relayed, stale) and a menu of
///         bad root submissions, and keeps ghost books to check against.
contract RewardsHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 public constant ACCOUNTS = 8;

    GroundToken public immutable token;
    EmissionSchedule public immutable schedule;
    RewardsDistributor public immutable distributor;
    uint256[] internal _oracleKeys; // 3 oracles, threshold 2
    uint256 internal constant OUTSIDER_KEY = 0xBADBAD;

    address[] internal _accounts;
    uint256[] internal _cumulative; // amounts in the current root
    bytes32[] internal _leaves;
    uint256[] internal _previousCumulative; // amounts in the root before, for stale claims

    // Ghost books.
    bytes32 public expectedRoot;
    uint256 public expectedEpoch;
    mapping(address account => uint256) public received;
    uint256 public badSubmissionsAccepted;
    uint256 public badSubmissionsTried;
    uint256 public badClaimsAccepted;
    uint256 public claimsPaid;

    constructor(
        GroundToken token_,
        EmissionSchedule schedule_,
        RewardsDistributor distributor_,
        uint256[] memory keys
    ) {
        token = token_;
        schedule = schedule_;
        distributor = distributor_;
        _oracleKeys = keys;
        for (uint256 i; i < ACCOUNTS; ++i) {
            _accounts.push(vm.addr(0xC0000 + i));
            _cumulative.push(0);
            _previousCumulative.push(0);
        }
    }

    // ---------------------------------------------------------------- actions

    /// @dev An honest epoch: every account's cumulative amount grows, in sum by at most the epoch's pool.
    function submitGoodRoot(uint256 seed, bool allOracles) external {
        uint256 epoch = distributor.lastEpoch() + 1;
        (uint256[] memory next, uint256 total) = _grow(seed, schedule.poolOf(epoch));
        bytes32[] memory leaves = Merkle.leaves(_accounts, next);
        bytes32 root = Merkle.root(leaves);
        uint256[] memory keys = _sorted(allOracles ? _keysOf(0, 1, 2) : _keysOf(seed % 3, (seed % 3 + 1) % 3));
        _submitSigned(epoch, root, total, keys);

        for (uint256 i; i < ACCOUNTS; ++i) {
            _previousCumulative[i] = _cumulative[i];
            _cumulative[i] = next[i];
        }
        _leaves = leaves;
        expectedRoot = root;
        expectedEpoch = epoch;
    }

    function _grow(uint256 seed, uint256 pool) internal view returns (uint256[] memory next, uint256 total) {
        next = new uint256[](ACCOUNTS);
        total = distributor.currentTotal();
        for (uint256 i; i < ACCOUNTS; ++i) {
            uint256 growth = uint256(keccak256(abi.encode(seed, i))) % (pool / ACCOUNTS + 1);
            next[i] = _cumulative[i] + growth;
            total += growth;
        }
    }

    function _submitSigned(uint256 epoch, bytes32 root, uint256 total, uint256[] memory keys) internal {
        bytes32 bundleHash = keccak256(abi.encode(root));
        bytes[] memory signatures = _signAll(keys, _digest(epoch, root, total, bundleHash));
        distributor.submitRoot(epoch, root, total, bundleHash, signatures);
    }

    /// @dev A submission that must fail: too few signatures, an outsider, a duplicate, unsorted signers, signatures
    ///      made for another epoch, or signatures made on another chain.
    function submitBadRoot(uint256 seed, uint8 kind) external {
        uint256 epoch = distributor.lastEpoch() + 1;
        bytes32 root = keccak256(abi.encode("forged", seed));
        uint256 total = distributor.currentTotal();
        bytes32 bundleHash = bytes32(seed);
        bytes32 digest = _digest(epoch, root, total, bundleHash);
        bytes[] memory signatures;
        kind = kind % 6;
        if (kind == 0) {
            signatures = _signAll(_keysOf(seed % 3), digest);
        } else if (kind == 1) {
            uint256[] memory keys = _keysOf(seed % 3, 0);
            keys[1] = OUTSIDER_KEY;
            signatures = _signAll(_sorted(keys), digest);
        } else if (kind == 2) {
            signatures = _signAll(_keysOf(seed % 3, seed % 3), digest);
        } else if (kind == 3) {
            uint256[] memory keys = _sorted(_keysOf(0, 1));
            (keys[0], keys[1]) = (keys[1], keys[0]);
            signatures = _signAll(keys, digest);
        } else if (kind == 4) {
            uint256 otherEpoch = epoch + 1 + seed % 1000;
            signatures = _signAll(_sorted(_keysOf(0, 1)), _digest(otherEpoch, root, total, bundleHash));
        } else {
            uint256 chainId = block.chainid;
            vm.chainId(chainId + 1 + seed % 1000);
            bytes32 foreign = _digest(epoch, root, total, bundleHash);
            vm.chainId(chainId);
            signatures = _signAll(_sorted(_keysOf(0, 1)), foreign);
        }
        ++badSubmissionsTried;
        try distributor.submitRoot(epoch, root, total, bundleHash, signatures) {
            ++badSubmissionsAccepted;
        } catch {}
    }

    function claim(uint256 accountSeed, bool relayed) external {
        uint256 index = accountSeed % ACCOUNTS;
        address account = _accounts[index];
        uint256 owed = _cumulative[index] - distributor.claimed(account);
        if (owed == 0 || _leaves.length == 0) return;
        if (relayed) vm.prank(address(0x4E1A7));
        uint256 paid = distributor.claim(account, _cumulative[index], Merkle.proof(_leaves, index));
        require(paid == owed, "claim paid the wrong amount");
        received[account] += paid;
        claimsPaid += paid;
    }

    function claimMany(uint256 mask) external {
        if (_leaves.length == 0) return;
        uint256 count;
        for (uint256 i; i < ACCOUNTS; ++i) {
            if (mask >> i & 1 == 1) ++count;
        }
        address[] memory who = new address[](count);
        uint256[] memory amounts = new uint256[](count);
        bytes32[][] memory proofs = new bytes32[][](count);
        uint256[] memory owed = new uint256[](count);
        uint256 j;
        for (uint256 i; i < ACCOUNTS; ++i) {
            if (mask >> i & 1 == 0) continue;
            who[j] = _accounts[i];
            amounts[j] = _cumulative[i];
            proofs[j] = Merkle.proof(_leaves, i);
            owed[j] = _cumulative[i] - distributor.claimed(_accounts[i]);
            ++j;
        }
        uint256 totalPaid = distributor.claimMany(who, amounts, proofs);
        uint256 expected;
        for (uint256 k; k < count; ++k) {
            received[who[k]] += owed[k];
            expected += owed[k];
        }
        require(totalPaid == expected, "claimMany paid the wrong amount");
        claimsPaid += totalPaid;
    }

    /// @dev Claims that must fail: an amount above the account's leaf, or the previous root's amount.
    function claimWrongAmount(uint256 accountSeed, uint256 extra, bool previous) external {
        uint256 index = accountSeed % ACCOUNTS;
        uint256 amount = previous ? _previousCumulative[index] : _cumulative[index] + 1 + extra % 1e24;
        if (_leaves.length == 0 || amount == _cumulative[index]) return;
        try distributor.claim(_accounts[index], amount, Merkle.proof(_leaves, index)) {
            ++badClaimsAccepted;
        } catch {}
    }

    // ---------------------------------------------------------------- views for the invariants

    function accounts() external view returns (address[] memory) {
        return _accounts;
    }

    function cumulative(uint256 index) external view returns (uint256) {
        return _cumulative[index];
    }

    // ---------------------------------------------------------------- helpers

    function _digest(uint256 epoch, bytes32 root, uint256 total, bytes32 bundleHash) internal view returns (bytes32) {
        return distributor.rootSubmissionDigest(epoch, root, total, bundleHash);
    }

    function _keysOf(uint256 a) internal view returns (uint256[] memory keys) {
        keys = new uint256[](1);
        keys[0] = _oracleKeys[a];
    }

    function _keysOf(uint256 a, uint256 b) internal view returns (uint256[] memory keys) {
        keys = new uint256[](2);
        (keys[0], keys[1]) = (_oracleKeys[a], _oracleKeys[b]);
    }

    function _keysOf(uint256 a, uint256 b, uint256 c) internal view returns (uint256[] memory keys) {
        keys = new uint256[](3);
        (keys[0], keys[1], keys[2]) = (_oracleKeys[a], _oracleKeys[b], _oracleKeys[c]);
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

    function _signAll(uint256[] memory keys, bytes32 digest) internal pure returns (bytes[] memory signatures) {
        signatures = new bytes[](keys.length);
        for (uint256 i; i < keys.length; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[i], digest);
            signatures[i] = abi.encodePacked(r, s, v);
        }
    }
}
