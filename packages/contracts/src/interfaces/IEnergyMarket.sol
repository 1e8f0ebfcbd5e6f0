// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IOracleQuorum
/// @notice The part of the spine's oracle set the energy market reads: membership and the quorum size.
///         `RewardsDistributor` provides both, so the market follows every change of the reward oracles at once.
interface IOracleQuorum {
    /// @notice Whether `account` is a registered oracle.
    /// @param account The account to check.
    /// @return True if `account` may sign roots.
    function isOracle(address account) external view returns (bool);

    /// @notice The number of distinct oracle signatures a root needs.
    /// @return The quorum.
    function threshold() external view returns (uint256);
}

/// @title IEnergyMarket
/// @notice Escrow and settlement of the peer-to-peer energy market, one 15-minute slot at a time. Buyers escrow the
///         settlement token for a slot before it starts. After the slot, a settlement root takes effect when a quorum
///         of the spine's oracles signs it (EIP-712 `SlotSettlement`). Roots form a chain, slot after slot: each is a
///         Merkle tree of (account, cumulative amount) leaves — everything each party is owed by every slot settled
///         so far — and its total grows by exactly the slot's escrow plus any draw on the grid reserve (the
///         utility's float that pays export-tariff credits when buyers consumed less than they bought). A party
///         withdraws the difference between its cumulative amount and what it already withdrew, with one proof,
///         however many slots it traded in. Escrow of a slot that is never settled — the window passed, or a later
///         slot was settled first — is reclaimed by its depositors in full.
interface IEnergyMarket {
    /// @notice Emitted when an account escrows tokens for a slot.
    /// @param slot The slot (its start is `slot * slotSeconds()`).
    /// @param account The depositor, who is refunded what it does not spend.
    /// @param amount The amount escrowed now.
    event EscrowDeposited(uint64 indexed slot, address indexed account, uint256 amount);

    /// @notice Emitted when a slot's settlement root takes effect.
    /// @param slot The slot.
    /// @param previousSlot The slot settled before it (0 for the first).
    /// @param root The Merkle root of (account, cumulative amount) leaves.
    /// @param total The sum of the leaves: the previous total plus the slot's escrow plus `gridDraw`.
    /// @param gridDraw The amount taken from the grid reserve.
    /// @param statementHash SHA-256 of the published settlement statement (docs/ENERGY.md), for re-computing the slot.
    /// @param signers The oracles whose signatures were accepted, ascending.
    event SlotSettled(
        uint64 indexed slot,
        uint64 previousSlot,
        bytes32 root,
        uint256 total,
        uint256 gridDraw,
        bytes32 statementHash,
        address[] signers
    );

    /// @notice Emitted for each payout.
    /// @param account The party paid.
    /// @param amount The amount paid now.
    /// @param cumulativeAmount The cumulative amount proven (= everything the party has withdrawn so far).
    /// @param caller The account that sent the withdrawal (the party or a relayer).
    event SettlementWithdrawn(
        address indexed account, uint256 amount, uint256 cumulativeAmount, address indexed caller
    );

    /// @notice Emitted when a depositor takes back the escrow of a slot that was never settled.
    /// @param slot The slot.
    /// @param account The depositor.
    /// @param amount The amount returned.
    event EscrowReclaimed(uint64 indexed slot, address indexed account, uint256 amount);

    /// @notice Emitted when the grid reserve is topped up.
    /// @param from The account the tokens came from.
    /// @param amount The amount added.
    event GridReserveFunded(address indexed from, uint256 amount);

    /// @notice Emitted when the grid account takes tokens out of the reserve.
    /// @param to The grid account.
    /// @param amount The amount taken.
    event GridReserveWithdrawn(address indexed to, uint256 amount);

    /// @notice Emitted when the grid account changes (also at deployment).
    /// @param previous The previous grid account (zero at deployment).
    /// @param account The new grid account.
    event GridAccountUpdated(address previous, address account);

    /// @notice An amount of zero was given where a positive amount is required.
    error EnergyMarketZeroAmount();

    /// @notice Escrow for a slot is accepted only before the slot starts.
    /// @param slot The slot.
    /// @param slotStart The slot's start (unix seconds).
    error EnergyMarketDepositClosed(uint64 slot, uint256 slotStart);

    /// @notice `depositMany` got arrays of different lengths.
    /// @param slots The number of slots.
    /// @param amounts The number of amounts.
    error EnergyMarketDepositLengthMismatch(uint256 slots, uint256 amounts);

    /// @notice `withdrawMany` got arrays of different lengths.
    /// @param accounts The number of accounts.
    /// @param cumulativeAmounts The number of amounts.
    /// @param proofs The number of proofs.
    error EnergyMarketWithdrawLengthMismatch(uint256 accounts, uint256 cumulativeAmounts, uint256 proofs);

    /// @notice The settlement does not follow the last one: `previousSlot` must be `lastSlot()`.
    /// @param previousSlot The previous slot given.
    /// @param lastSlot The last slot settled (0 before the first settlement).
    error EnergyMarketWrongPreviousSlot(uint64 previousSlot, uint64 lastSlot);

    /// @notice Slots settle in order: the slot must come after the previous one.
    /// @param slot The slot.
    /// @param previousSlot The slot settled before.
    error EnergyMarketSlotNotAfterPrevious(uint64 slot, uint64 previousSlot);

    /// @notice A slot is settled only after it has ended.
    /// @param slot The slot.
    /// @param slotEnd The slot's end (unix seconds).
    error EnergyMarketSlotNotEnded(uint64 slot, uint256 slotEnd);

    /// @notice The settlement window has passed: depositors may reclaim, so no root may take effect any more.
    /// @param slot The slot.
    /// @param deadline The end of the settlement window (unix seconds).
    error EnergyMarketSettlementExpired(uint64 slot, uint256 deadline);

    /// @notice A settlement with nothing in it (no escrow and no grid draw).
    /// @param slot The slot.
    error EnergyMarketNothingToSettle(uint64 slot);

    /// @notice A settlement with a zero root: zero is how `rootOf` says "not settled", so such a
    /// settlement would leave the slot's escrow reclaimable after it had been paid out.
    /// @param slot The slot.
    error EnergyMarketZeroRoot(uint64 slot);

    /// @notice Fewer signatures than the oracle threshold.
    /// @param signatures The number of signatures given.
    /// @param needed The threshold.
    error EnergyMarketQuorumNotMet(uint256 signatures, uint256 needed);

    /// @notice A signature is malformed: not 65 bytes, high s, or unrecoverable.
    /// @param index The position of the signature in the array.
    error EnergyMarketInvalidSignature(uint256 index);

    /// @notice Recovered signers are not strictly ascending by address (this also rejects duplicates).
    error EnergyMarketSignersNotSorted();

    /// @notice A signature recovers to an account that is not an oracle of the spine.
    /// @param signer The recovered account.
    error EnergyMarketNotOracle(address signer);

    /// @notice The new total does not grow by exactly the slot's escrow plus the grid draw.
    /// @param total The total given.
    /// @param previousTotal The current total.
    /// @param escrowed The slot's escrow.
    /// @param gridDraw The grid draw given.
    error EnergyMarketUnbalanced(uint256 total, uint256 previousTotal, uint256 escrowed, uint256 gridDraw);

    /// @notice The grid draw exceeds the grid reserve.
    /// @param gridDraw The draw asked for.
    /// @param reserve The reserve available.
    error EnergyMarketGridReserveShort(uint256 gridDraw, uint256 reserve);

    /// @notice The cumulative amount is not above what the account has already withdrawn.
    /// @param account The party.
    error EnergyMarketNothingToWithdraw(address account);

    /// @notice The Merkle proof does not lead to the current root.
    /// @param account The party withdrawn for.
    error EnergyMarketInvalidProof(address account);

    /// @notice Paying would take total withdrawals above the current total (only possible if the oracles signed a
    ///         total below the real sum of the leaves).
    /// @param totalWithdrawnAfter What `totalWithdrawn()` would become.
    /// @param total The current total.
    error EnergyMarketPayoutExceedsTotal(uint256 totalWithdrawnAfter, uint256 total);

    /// @notice Escrow of an unsettled slot can be reclaimed only after the settlement window, or once a later slot
    ///         has been settled (so this one never will be).
    /// @param slot The slot.
    /// @param opensAt When reclaiming opens (unix seconds).
    error EnergyMarketReclaimNotOpen(uint64 slot, uint256 opensAt);

    /// @notice The account has no escrow in this slot, or the slot was settled.
    /// @param slot The slot.
    /// @param account The account.
    error EnergyMarketNothingToReclaim(uint64 slot, address account);

    /// @notice Only the grid account may do this.
    /// @param caller The caller.
    error EnergyMarketNotGridAccount(address caller);

    /// @notice The grid account must not be the zero address.
    error EnergyMarketInvalidGridAccount();

    /// @notice A constructor argument is out of range.
    /// @param slotSeconds The slot length given (must be > 0).
    /// @param settlementWindow The settlement window given (must be > 0).
    error EnergyMarketInvalidConfig(uint256 slotSeconds, uint256 settlementWindow);

    /// @notice Escrows `amount` for `slot`, pulled from the caller (who must have approved this contract).
    /// @dev Reverts `EnergyMarketDepositClosed` once the slot has started, `EnergyMarketZeroAmount` for 0.
    /// @param slot The slot.
    /// @param amount The amount to escrow.
    function deposit(uint64 slot, uint256 amount) external;

    /// @notice Escrows for many slots at once (e.g. a day ahead), with one token transfer.
    /// @param slots The slots.
    /// @param amounts The amount for each slot; each must be positive.
    function depositMany(uint64[] calldata slots, uint256[] calldata amounts) external;

    /// @notice Adds `amount` to the grid reserve, pulled from the caller.
    /// @param amount The amount to add.
    function fundGridReserve(uint256 amount) external;

    /// @notice Takes `amount` out of the grid reserve to the grid account; grid account only.
    /// @param amount The amount to take.
    function withdrawGridReserve(uint256 amount) external;

    /// @notice Sets the grid account (the utility's account that is paid for shortfall energy); owner only.
    /// @param account The new grid account, not zero.
    function setGridAccount(address account) external;

    /// @notice Makes a slot's settlement root take effect, chained to the previous one.
    /// @dev Checks, in order: `previousSlot == lastSlot()`; `slot > previousSlot`; the slot has ended and its
    ///      settlement window has not passed; there is something to settle (escrow or a grid draw);
    ///      `total == currentTotal() + escrowed(slot) + gridDraw` and the grid reserve covers `gridDraw`; at least
    ///      `threshold()` signatures of distinct oracles (read from the oracle quorum contract), sorted by signer
    ///      ascending, over the EIP-712 `SlotSettlement(uint64 slot,uint64 previousSlot,bytes32 root,uint256 total,
    ///      uint256 gridDraw,bytes32 statementHash)`. Every signature given must pass.
    /// @param slot The slot.
    /// @param previousSlot The last slot settled (0 before the first): a settlement that failed blocks the next.
    /// @param root The Merkle root of (account, cumulative amount) leaves.
    /// @param total The sum of the leaves.
    /// @param gridDraw The amount taken from the grid reserve.
    /// @param statementHash SHA-256 of the published settlement statement (docs/ENERGY.md).
    /// @param signatures 65-byte oracle signatures, sorted by signer address ascending.
    function settle(
        uint64 slot,
        uint64 previousSlot,
        bytes32 root,
        uint256 total,
        uint256 gridDraw,
        bytes32 statementHash,
        bytes[] calldata signatures
    ) external;

    /// @notice Pays `account` its cumulative amount minus what it already withdrew; anyone may send it for anyone.
    /// @param account The party to pay.
    /// @param cumulativeAmount The party's leaf in the current root.
    /// @param proof The Merkle proof of (account, cumulativeAmount) against the current root.
    /// @return paid The amount paid.
    function withdraw(address account, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        returns (uint256 paid);

    /// @notice Pays many parties in one transaction. Entries with nothing to pay are skipped without checking their
    ///         proof (a stale entry does not sink a batch); any other bad entry reverts it all.
    /// @param accounts The parties.
    /// @param cumulativeAmounts Their leaves in the current root.
    /// @param proofs Their Merkle proofs.
    /// @return totalPaid The sum paid.
    function withdrawMany(
        address[] calldata accounts,
        uint256[] calldata cumulativeAmounts,
        bytes32[][] calldata proofs
    ) external returns (uint256 totalPaid);

    /// @notice Returns the caller's escrow of a slot that will never be settled: its settlement window passed, or a
    ///         later slot was settled.
    /// @param slot The slot.
    function reclaim(uint64 slot) external;

    /// @notice The EIP-712 digest the oracles sign for a settlement.
    /// @param slot The slot.
    /// @param previousSlot The slot settled before it.
    /// @param root The Merkle root.
    /// @param total The sum of the leaves.
    /// @param gridDraw The amount taken from the grid reserve.
    /// @param statementHash SHA-256 of the settlement statement (docs/ENERGY.md).
    /// @return The digest.
    function settlementDigest(
        uint64 slot,
        uint64 previousSlot,
        bytes32 root,
        uint256 total,
        uint256 gridDraw,
        bytes32 statementHash
    ) external view returns (bytes32);

    /// @notice The EIP-712 type hash of `SlotSettlement`.
    /// @return The type hash.
    function SETTLEMENT_TYPEHASH() external view returns (bytes32);

    /// @notice The settlement token.
    /// @return The token.
    function token() external view returns (IERC20);

    /// @notice The contract whose oracle set and threshold settlements need (the spine's RewardsDistributor).
    /// @return The oracle quorum contract.
    function oracleQuorum() external view returns (IOracleQuorum);

    /// @notice The length of a slot in seconds.
    /// @return The slot length.
    function slotSeconds() external view returns (uint256);

    /// @notice How long after a slot's end a root may still take effect; after that, depositors reclaim.
    /// @return The window in seconds.
    function settlementWindow() external view returns (uint256);

    /// @notice The start of a slot (unix seconds).
    /// @param slot The slot.
    /// @return `slot * slotSeconds()`.
    function slotStart(uint64 slot) external view returns (uint256);

    /// @notice The end of a slot (unix seconds).
    /// @param slot The slot.
    /// @return `(slot + 1) * slotSeconds()`.
    function slotEnd(uint64 slot) external view returns (uint256);

    /// @notice The grid account.
    /// @return The account paid for shortfall energy.
    function gridAccount() external view returns (address);

    /// @notice The grid reserve available for export-tariff credits.
    /// @return The reserve.
    function gridReserve() external view returns (uint256);

    /// @notice The escrow of a slot, summed over depositors (unchanged by settlement; lowered by reclaims).
    /// @param slot The slot.
    /// @return The slot's escrow.
    function escrowed(uint64 slot) external view returns (uint256);

    /// @notice An account's escrow in a slot.
    /// @param slot The slot.
    /// @param account The depositor.
    /// @return The amount escrowed.
    function escrowOf(uint64 slot, address account) external view returns (uint256);

    /// @notice The last slot settled (0 before the first settlement).
    /// @return The slot.
    function lastSlot() external view returns (uint64);

    /// @notice Whether a slot has been settled.
    /// @param slot The slot.
    /// @return True once its root took effect.
    function isSettled(uint64 slot) external view returns (bool);

    /// @notice The root a slot's settlement set (zero if it was not settled).
    /// @param slot The slot.
    /// @return The root.
    function rootOf(uint64 slot) external view returns (bytes32);

    /// @notice The current root: cumulative amounts after the last slot settled.
    /// @return The root.
    function currentRoot() external view returns (bytes32);

    /// @notice The sum of the current root's leaves.
    /// @return The total.
    function currentTotal() external view returns (uint256);

    /// @notice What an account has withdrawn so far.
    /// @param account The party.
    /// @return The cumulative amount paid to it.
    function withdrawn(address account) external view returns (uint256);

    /// @notice What has been withdrawn by everyone.
    /// @return The sum.
    function totalWithdrawn() external view returns (uint256);

    /// @notice Escrow of slots not yet settled (nor reclaimed), summed.
    /// @return The amount.
    function escrowHeld() external view returns (uint256);

    /// @notice Settled amounts not yet withdrawn: `currentTotal() - totalWithdrawn()`.
    /// @return The amount.
    function owed() external view returns (uint256);
}
