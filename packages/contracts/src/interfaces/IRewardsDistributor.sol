// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IEmissionSchedule} from "./IEmissionSchedule.sol";
import {IGroundToken} from "./IGroundToken.sol";

/// @title IRewardsDistributor
/// @notice Pays rewards from Merkle roots of cumulative amounts. A root takes effect when a quorum of registered
///         oracles signs it (EIP-712 `RootSubmission`); each new root's total may grow by at most the epoch's pool,
///         which the distributor releases from the emission schedule into itself. A claim pays the difference
///         between the account's cumulative amount in the current root and what it has already claimed; anyone may
///         claim for anyone, one at a time or many per transaction.
interface IRewardsDistributor {
    /// @notice Emitted when a root takes effect.
    /// @param epoch The epoch (= previous epoch + 1).
    /// @param root The Merkle root of (account, cumulativeAmount) leaves.
    /// @param total The sum of all cumulative amounts in the tree.
    /// @param bundleHash The hash of the published epoch bundle, for re-running the epoch.
    /// @param signers The oracles whose signatures were accepted, ascending.
    event RootSubmitted(uint256 indexed epoch, bytes32 root, uint256 total, bytes32 bundleHash, address[] signers);

    /// @notice Emitted for each payout.
    /// @param account The beneficiary, who receives the tokens.
    /// @param amount The amount paid now.
    /// @param cumulativeAmount The cumulative amount proven (= everything the account has claimed so far).
    /// @param caller The account that sent the claim (the beneficiary or a relayer).
    event RewardsClaimed(address indexed account, uint256 amount, uint256 cumulativeAmount, address indexed caller);

    /// @notice Emitted when the oracle set or the threshold changes (also at deployment).
    /// @param oracles The new oracle set.
    /// @param threshold The number of oracle signatures a root needs.
    event OraclesUpdated(address[] oracles, uint256 threshold);

    /// @notice The submitted epoch is not the one after the last.
    /// @param epoch The epoch given.
    /// @param expected `lastEpoch() + 1`.
    error RewardsDistributorWrongEpoch(uint256 epoch, uint256 expected);

    /// @notice Recovered signers are not strictly ascending by address (this also rejects duplicates).
    error RewardsDistributorSignersNotSorted();

    /// @notice A signature recovers to an account that is not a registered oracle.
    /// @param signer The recovered account.
    error RewardsDistributorNotOracle(address signer);

    /// @notice A signature is malformed: not 65 bytes, or high s (ECDSA malleability), or unrecoverable.
    /// @param index The position of the signature in the array.
    error RewardsDistributorInvalidSignature(uint256 index);

    /// @notice Fewer signatures than the threshold.
    /// @param signatures The number of signatures given.
    /// @param needed The threshold.
    error RewardsDistributorQuorumNotMet(uint256 signatures, uint256 needed);

    /// @notice The new total is below the current total (cumulative amounts never shrink in sum).
    /// @param total The total given.
    /// @param previousTotal The current total.
    error RewardsDistributorTotalDecreased(uint256 total, uint256 previousTotal);

    /// @notice The growth of the total exceeds the epoch's pool.
    /// @param epochTotal `total - previousTotal`.
    /// @param pool The epoch's pool from the emission schedule.
    error RewardsDistributorPoolExceeded(uint256 epochTotal, uint256 pool);

    /// @notice The Merkle proof does not lead to the current root.
    error RewardsDistributorInvalidProof();

    /// @notice The cumulative amount is not above what the account has already claimed.
    /// @param account The beneficiary.
    error RewardsDistributorNothingToClaim(address account);

    /// @notice Paying would take total claims above total funding (only possible if oracles signed a `total` below
    ///         the real sum of the leaves).
    /// @param totalClaimedAfter What `totalClaimed()` would become.
    /// @param totalFunded What the schedule has released to the distributor.
    error RewardsDistributorInsufficientFunds(uint256 totalClaimedAfter, uint256 totalFunded);

    /// @notice `claimMany` got arrays of different lengths.
    /// @param accounts The number of accounts.
    /// @param cumulativeAmounts The number of amounts.
    /// @param proofs The number of proofs.
    error RewardsDistributorLengthMismatch(uint256 accounts, uint256 cumulativeAmounts, uint256 proofs);

    /// @notice The threshold is 0 or above the number of oracles.
    /// @param threshold The threshold given.
    /// @param oracles The number of oracles given.
    error RewardsDistributorInvalidThreshold(uint256 threshold, uint256 oracles);

    /// @notice An oracle is the zero address or appears twice.
    /// @param oracle The rejected oracle.
    error RewardsDistributorInvalidOracle(address oracle);

    /// @notice The token's cap does not fit 128 bits (the distributor keeps its totals in 128 bits each).
    /// @param cap The token's cap.
    error RewardsDistributorCapTooLarge(uint256 cap);

    /// @notice Makes a root take effect for the next epoch and releases that epoch's pool into the distributor.
    ///         Anyone may submit; the oracle signatures are the authority.
    /// @param epoch Must be `lastEpoch() + 1`.
    /// @param root The Merkle root of the new cumulative tree.
    /// @param total The sum of all cumulative amounts in the tree; `currentTotal() <= total` and
    ///        `total - currentTotal() <= schedule().poolOf(epoch)`.
    /// @param bundleHash The hash of the epoch bundle.
    /// @param signatures 65-byte ECDSA signatures (r, s, v) over `rootSubmissionDigest(...)`, at least `threshold()`,
    ///        from registered oracles, ordered by strictly ascending signer address.
    function submitRoot(uint256 epoch, bytes32 root, uint256 total, bytes32 bundleHash, bytes[] calldata signatures)
        external;

    /// @notice Pays `cumulativeAmount - claimed(account)` to `account`. Anyone may call for any account.
    /// @param account The beneficiary.
    /// @param cumulativeAmount The account's cumulative amount in the current root.
    /// @param proof The Merkle proof of the leaf `keccak256(bytes.concat(keccak256(abi.encode(account,
    ///        cumulativeAmount))))` (OpenZeppelin StandardMerkleTree leaf, sorted-pair hashing).
    /// @return paid The amount paid.
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external returns (uint256 paid);

    /// @notice Pays many accounts in one call. An entry whose cumulative amount is not above what its account has
    ///         already claimed is skipped without checking its proof (so stale entries do not sink a batch); any
    ///         other entry with an invalid proof reverts the whole call.
    /// @param accounts The beneficiaries.
    /// @param cumulativeAmounts Their cumulative amounts in the current root.
    /// @param proofs Their Merkle proofs.
    /// @return totalPaid The sum paid.
    function claimMany(address[] calldata accounts, uint256[] calldata cumulativeAmounts, bytes32[][] calldata proofs)
        external
        returns (uint256 totalPaid);

    /// @notice Replaces the oracle set and the threshold. Owner only.
    /// @param oracles The new oracles; no zero address, no duplicates.
    /// @param threshold Signatures a root needs; `0 < threshold <= oracles.length`.
    function setOracles(address[] calldata oracles, uint256 threshold) external;

    /// @notice The EIP-712 type hash of
    ///         `RootSubmission(uint256 epoch,bytes32 root,uint256 total,bytes32 bundleHash)`.
    /// @return The type hash.
    function ROOT_SUBMISSION_TYPEHASH() external view returns (bytes32);

    /// @notice The EIP-712 digest (domain "GroundworkRewards", version "1", this chain, this contract) that oracles
    ///         sign for a root submission.
    /// @param epoch The epoch.
    /// @param root The root.
    /// @param total The total.
    /// @param bundleHash The bundle hash.
    /// @return The digest.
    function rootSubmissionDigest(uint256 epoch, bytes32 root, uint256 total, bytes32 bundleHash)
        external
        view
        returns (bytes32);

    /// @notice The last epoch whose root took effect; 0 before the first.
    /// @return The epoch.
    function lastEpoch() external view returns (uint256);

    /// @notice The root claims are checked against (the last epoch's); 0 before the first.
    /// @return The root.
    function currentRoot() external view returns (bytes32);

    /// @notice The total of the current root.
    /// @return The total.
    function currentTotal() external view returns (uint256);

    /// @notice The root of an epoch; 0 if none.
    /// @param epoch The epoch.
    /// @return The root.
    function rootOf(uint256 epoch) external view returns (bytes32);

    /// @notice What an account has claimed so far (its last paid cumulative amount).
    /// @param account The beneficiary.
    /// @return The amount.
    function claimed(address account) external view returns (uint256);

    /// @notice The sum of all payouts.
    /// @return The sum.
    function totalClaimed() external view returns (uint256);

    /// @notice The sum of all pools released to the distributor.
    /// @return The sum.
    function totalFunded() external view returns (uint256);

    /// @notice Whether an account is a registered oracle.
    /// @param account The account.
    /// @return True if it is.
    function isOracle(address account) external view returns (bool);

    /// @notice The registered oracles, in the order they were set.
    /// @return The oracles.
    function oracles() external view returns (address[] memory);

    /// @notice The number of oracle signatures a root needs.
    /// @return The threshold.
    function threshold() external view returns (uint256);

    /// @notice The reward token.
    /// @return The token.
    function token() external view returns (IGroundToken);

    /// @notice The emission schedule the distributor releases epochs from.
    /// @return The schedule.
    function schedule() external view returns (IEmissionSchedule);
}
