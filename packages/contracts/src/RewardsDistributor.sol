// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {EmissionSchedule} from "./EmissionSchedule.sol";
import {GroundToken} from "./GroundToken.sol";
import {IEmissionSchedule} from "./interfaces/IEmissionSchedule.sol";
import {IGroundToken} from "./interfaces/IGroundToken.sol";
import {IRewardsDistributor} from "./interfaces/IRewardsDistributor.sol";

/// @title RewardsDistributor
/// @notice Distributes each epoch's emission by Merkle roots of cumulative amounts that a quorum of oracles signs.
/// @dev Funding and payouts:
///      - `submitRoot` releases the epoch's pool from the schedule into this contract (`totalFunded`) and accepts a
///        tree whose total grew by at most that pool. A pool's unallocated rest stays here, counted in
///        `totalFunded() - currentTotal()`; it is not rolled over to later epochs.
///      - A claim pays `cumulativeAmount - claimed(account)`, and never lets `totalClaimed()` pass `totalFunded()`.
///      The token and the schedule are immutable, trusted contracts without callbacks; calls to them still come
///      last in every function (checks, effects, interactions).
contract RewardsDistributor is IRewardsDistributor, EIP712, Ownable {
    /// @inheritdoc IRewardsDistributor
    bytes32 public constant ROOT_SUBMISSION_TYPEHASH =
        keccak256("RootSubmission(uint256 epoch,bytes32 root,uint256 total,bytes32 bundleHash)");

    /// @dev Both sums share one slot, so a claim reads and writes one slot for them. They fit in 128 bits:
    ///      `funded` never exceeds the token's cap (checked below 2**128 at construction) and `claimed <= funded`.
    struct Totals {
        uint128 funded;
        uint128 claimed;
    }

    IGroundToken private immutable _token;
    IEmissionSchedule private immutable _schedule;

    bytes32 private _currentRoot;
    uint256 private _currentTotal;
    uint256 private _lastEpoch;
    Totals private _totals;
    uint256 private _threshold;
    address[] private _oracles;
    mapping(address account => bool) private _isOracle;
    mapping(uint256 epoch => bytes32) private _roots;
    mapping(address account => uint256) private _claimed;

    /// @param token_ The reward token.
    /// @param schedule_ The emission schedule; this contract must be set as its distributor.
    /// @param owner_ The owner, who manages the oracle set.
    /// @param oracles_ The initial oracles; no zero address, no duplicates.
    /// @param threshold_ Signatures a root needs; `0 < threshold_ <= oracles_.length`.
    /// @dev Reverts `RewardsDistributorCapTooLarge` if the token's cap does not fit 128 bits.
    constructor(
        GroundToken token_,
        EmissionSchedule schedule_,
        address owner_,
        address[] memory oracles_,
        uint256 threshold_
    ) EIP712("GroundworkRewards", "1") Ownable(owner_) {
        uint256 cap = token_.cap();
        if (cap > type(uint128).max) revert RewardsDistributorCapTooLarge(cap);
        _token = token_;
        _schedule = schedule_;
        _setOracles(oracles_, threshold_);
    }

    /// @inheritdoc IRewardsDistributor
    function submitRoot(uint256 epoch, bytes32 root, uint256 total, bytes32 bundleHash, bytes[] calldata signatures)
        external
    {
        uint256 expected = _lastEpoch + 1;
        if (epoch != expected) revert RewardsDistributorWrongEpoch(epoch, expected);
        uint256 previousTotal = _currentTotal;
        if (total < previousTotal) revert RewardsDistributorTotalDecreased(total, previousTotal);
        address[] memory signers = _recoverQuorum(rootSubmissionDigest(epoch, root, total, bundleHash), signatures);
        // `poolOf` is a pure function of the schedule's immutables and equals what `release` mints below (each
        // epoch is released once, only by this contract), so the bound is checked before any state changes.
        uint256 pool = _schedule.poolOf(epoch);
        uint256 epochTotal = total - previousTotal;
        if (epochTotal > pool) revert RewardsDistributorPoolExceeded(epochTotal, pool);

        _lastEpoch = epoch;
        _roots[epoch] = root;
        _currentRoot = root;
        _currentTotal = total;
        // casting to 'uint128' is safe because `pool` is at most the token's cap, which fits 128 bits; the sum of
        // all pools is at most the cap too, so the checked addition cannot overflow either
        // forge-lint: disable-next-line(unsafe-typecast)
        _totals.funded += uint128(pool);
        emit RootSubmitted(epoch, root, total, bundleHash, signers);

        _schedule.release(epoch);
    }

    /// @inheritdoc IRewardsDistributor
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        returns (uint256 paid)
    {
        uint256 alreadyClaimed = _claimed[account];
        if (cumulativeAmount <= alreadyClaimed) revert RewardsDistributorNothingToClaim(account);
        if (!MerkleProof.verifyCalldata(proof, _currentRoot, _leaf(account, cumulativeAmount))) {
            revert RewardsDistributorInvalidProof();
        }
        unchecked {
            // Checked above: `cumulativeAmount > alreadyClaimed`.
            paid = cumulativeAmount - alreadyClaimed;
        }
        uint256 totalClaimedAfter = _checkFunding(paid);

        _claimed[account] = cumulativeAmount;
        // casting to 'uint128' is safe because `totalClaimedAfter <= funded < 2**128` (checked above)
        // forge-lint: disable-next-line(unsafe-typecast)
        _totals.claimed = uint128(totalClaimedAfter);
        emit RewardsClaimed(account, paid, cumulativeAmount, msg.sender);

        _pay(account, paid);
    }

    /// @inheritdoc IRewardsDistributor
    /// @dev Two passes so that every check and every write happens before the first transfer: the first pass
    ///      verifies, records and emits per entry and keeps the amounts in memory; the shared totals are read and
    ///      written once; the second pass transfers. About 26,400 gas per beneficiary (as a transaction) for 100
    ///      repeat claimers at proof depth 7; see test/gas/RewardsDistributorGas.t.sol.
    function claimMany(address[] calldata accounts, uint256[] calldata cumulativeAmounts, bytes32[][] calldata proofs)
        external
        returns (uint256 totalPaid)
    {
        uint256 count = accounts.length;
        if (cumulativeAmounts.length != count || proofs.length != count) {
            revert RewardsDistributorLengthMismatch(count, cumulativeAmounts.length, proofs.length);
        }
        bytes32 root = _currentRoot;
        uint256[] memory paid = new uint256[](count);

        for (uint256 i; i < count; ++i) {
            address account = accounts[i];
            uint256 cumulativeAmount = cumulativeAmounts[i];
            uint256 alreadyClaimed = _claimed[account];
            if (cumulativeAmount <= alreadyClaimed) continue;
            if (!MerkleProof.verifyCalldata(proofs[i], root, _leaf(account, cumulativeAmount))) {
                revert RewardsDistributorInvalidProof();
            }
            uint256 amount;
            unchecked {
                // Checked above: `cumulativeAmount > alreadyClaimed`.
                amount = cumulativeAmount - alreadyClaimed;
            }
            paid[i] = amount;
            totalPaid += amount;
            _claimed[account] = cumulativeAmount;
            emit RewardsClaimed(account, amount, cumulativeAmount, msg.sender);
        }

        if (totalPaid == 0) return 0;
        uint256 totalClaimedAfter = _checkFunding(totalPaid);
        // casting to 'uint128' is safe because `totalClaimedAfter <= funded < 2**128` (checked above)
        // forge-lint: disable-next-line(unsafe-typecast)
        _totals.claimed = uint128(totalClaimedAfter);

        for (uint256 i; i < count; ++i) {
            uint256 amount = paid[i];
            if (amount != 0) _pay(accounts[i], amount);
        }
    }

    /// @inheritdoc IRewardsDistributor
    function setOracles(address[] calldata oracles_, uint256 threshold_) external onlyOwner {
        _setOracles(oracles_, threshold_);
    }

    /// @inheritdoc IRewardsDistributor
    function rootSubmissionDigest(uint256 epoch, bytes32 root, uint256 total, bytes32 bundleHash)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(ROOT_SUBMISSION_TYPEHASH, epoch, root, total, bundleHash)));
    }

    /// @inheritdoc IRewardsDistributor
    function lastEpoch() external view returns (uint256) {
        return _lastEpoch;
    }

    /// @inheritdoc IRewardsDistributor
    function currentRoot() external view returns (bytes32) {
        return _currentRoot;
    }

    /// @inheritdoc IRewardsDistributor
    function currentTotal() external view returns (uint256) {
        return _currentTotal;
    }

    /// @inheritdoc IRewardsDistributor
    function rootOf(uint256 epoch) external view returns (bytes32) {
        return _roots[epoch];
    }

    /// @inheritdoc IRewardsDistributor
    function claimed(address account) external view returns (uint256) {
        return _claimed[account];
    }

    /// @inheritdoc IRewardsDistributor
    function totalClaimed() external view returns (uint256) {
        return _totals.claimed;
    }

    /// @inheritdoc IRewardsDistributor
    function totalFunded() external view returns (uint256) {
        return _totals.funded;
    }

    /// @inheritdoc IRewardsDistributor
    function isOracle(address account) external view returns (bool) {
        return _isOracle[account];
    }

    /// @inheritdoc IRewardsDistributor
    function oracles() external view returns (address[] memory) {
        return _oracles;
    }

    /// @inheritdoc IRewardsDistributor
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IRewardsDistributor
    function token() external view returns (IGroundToken) {
        return _token;
    }

    /// @inheritdoc IRewardsDistributor
    function schedule() external view returns (IEmissionSchedule) {
        return _schedule;
    }

    /// @dev Replaces the oracle set: clears the old members, then adds the new ones, rejecting zero and duplicate
    ///      addresses (a duplicate is already marked when it comes round the second time).
    function _setOracles(address[] memory oracles_, uint256 threshold_) private {
        uint256 count = oracles_.length;
        if (threshold_ == 0 || threshold_ > count) revert RewardsDistributorInvalidThreshold(threshold_, count);

        uint256 previousCount = _oracles.length;
        for (uint256 i; i < previousCount; ++i) {
            delete _isOracle[_oracles[i]];
        }
        delete _oracles;
        for (uint256 i; i < count; ++i) {
            address oracle = oracles_[i];
            if (oracle == address(0) || _isOracle[oracle]) revert RewardsDistributorInvalidOracle(oracle);
            _isOracle[oracle] = true;
            _oracles.push(oracle);
        }
        _threshold = threshold_;
        emit OraclesUpdated(oracles_, threshold_);
    }

    /// @dev Recovers every signer, requiring at least `threshold` signatures, all well-formed, from oracles, in
    ///      strictly ascending order (which rules out counting one oracle twice).
    function _recoverQuorum(bytes32 digest, bytes[] calldata signatures)
        private
        view
        returns (address[] memory signers)
    {
        uint256 count = signatures.length;
        uint256 needed = _threshold;
        if (count < needed) revert RewardsDistributorQuorumNotMet(count, needed);

        signers = new address[](count);
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (error != ECDSA.RecoverError.NoError) revert RewardsDistributorInvalidSignature(i);
            if (signer <= previous) revert RewardsDistributorSignersNotSorted();
            if (!_isOracle[signer]) revert RewardsDistributorNotOracle(signer);
            signers[i] = signer;
            previous = signer;
        }
    }

    /// @dev What `totalClaimed()` becomes after paying `amount`; reverts if that would pass `totalFunded()`.
    function _checkFunding(uint256 amount) private view returns (uint256 totalClaimedAfter) {
        Totals memory totals = _totals;
        totalClaimedAfter = totals.claimed + amount;
        if (totalClaimedAfter > totals.funded) {
            revert RewardsDistributorInsufficientFunds(totalClaimedAfter, totals.funded);
        }
    }

    /// @dev Transfers from this contract's balance. GroundToken reverts on failure rather than returning false; the
    ///      return value is checked anyway.
    function _pay(address account, uint256 amount) private {
        bool ok = _token.transfer(account, amount);
        assert(ok);
    }

    /// @dev The OpenZeppelin StandardMerkleTree leaf `keccak256(bytes.concat(keccak256(abi.encode(account,
    ///      amount))))`, hashed in scratch space instead of allocating memory.
    function _leaf(address account, uint256 amount) private pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            // Mask: the upper 96 bits of an `address` on the stack are not guaranteed to be clean.
            mstore(0x00, and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(0x20, amount)
            mstore(0x00, keccak256(0x00, 0x40))
            leaf := keccak256(0x00, 0x20)
        }
    }
}
