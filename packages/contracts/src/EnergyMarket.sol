// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IEnergyMarket, IOracleQuorum} from "./interfaces/IEnergyMarket.sol";

/// @title EnergyMarket
/// @notice Escrow and per-slot settlement of Groundwork's peer-to-peer energy market (see docs/ENERGY.md).
/// @dev Money is conserved by construction, and the three books always add up to the token balance:
///      `balanceOf(this) == escrowHeld() + gridReserve() + owed()` (tokens sent here by plain transfers aside).
///      - a deposit adds to `escrowHeld`; a reclaim takes it back out;
///      - a settlement moves the slot's escrow and the grid draw into `owed` (the total grows by exactly their sum),
///        so every unit escrowed is paid out or refunded, never kept and never created;
///      - a withdrawal takes `cumulative - withdrawn` out of `owed`, and total withdrawals never pass the total.
///      Settlements form a chain (`previousSlot`), so a slot whose settlement failed is never skipped silently: the
///      next one is refused until it is fixed, or its escrow becomes reclaimable.
///      The oracle set and quorum are read from the spine's RewardsDistributor on every settlement, never copied.
///      Calls to the token come last in every function (checks, effects, interactions).
contract EnergyMarket is IEnergyMarket, EIP712, Ownable {
    using SafeERC20 for IERC20;

    /// @inheritdoc IEnergyMarket
    bytes32 public constant SETTLEMENT_TYPEHASH = keccak256(
        "SlotSettlement(uint64 slot,uint64 previousSlot,bytes32 root,uint256 total,uint256 gridDraw,bytes32 statementHash)"
    );

    /// @dev A settlement's fields, kept together in memory.
    struct Submission {
        uint64 slot;
        uint64 previousSlot;
        bytes32 root;
        uint256 total;
        uint256 gridDraw;
        bytes32 statementHash;
    }

    IERC20 private immutable _token;
    IOracleQuorum private immutable _oracleQuorum;
    uint256 private immutable _slotSeconds;
    uint256 private immutable _settlementWindow;

    address private _gridAccount;
    uint64 private _lastSlot;
    uint256 private _gridReserve;
    uint256 private _escrowHeld;
    bytes32 private _currentRoot;
    uint256 private _currentTotal;
    uint256 private _totalWithdrawn;

    mapping(uint64 slot => uint256) private _escrowed;
    mapping(uint64 slot => mapping(address account => uint256)) private _escrowOf;
    mapping(uint64 slot => bytes32) private _rootOf;
    mapping(address account => uint256) private _withdrawn;

    /// @param token_ The settlement token (a stable token; `TestStable` on local networks).
    /// @param oracleQuorum_ The spine's RewardsDistributor, whose oracles and threshold settlements need.
    /// @param owner_ The owner, who sets the grid account.
    /// @param gridAccount_ The utility's account, paid for shortfall energy; not zero.
    /// @param slotSeconds_ The slot length in seconds (900 for 15-minute slots); positive.
    /// @param settlementWindow_ Seconds after a slot's end during which a root may take effect; positive.
    constructor(
        IERC20 token_,
        IOracleQuorum oracleQuorum_,
        address owner_,
        address gridAccount_,
        uint256 slotSeconds_,
        uint256 settlementWindow_
    ) EIP712("GroundworkEnergyMarket", "1") Ownable(owner_) {
        if (slotSeconds_ == 0 || settlementWindow_ == 0) {
            revert EnergyMarketInvalidConfig(slotSeconds_, settlementWindow_);
        }
        _token = token_;
        _oracleQuorum = oracleQuorum_;
        _slotSeconds = slotSeconds_;
        _settlementWindow = settlementWindow_;
        _setGridAccount(gridAccount_);
    }

    // ------------------------------------------------------------------------------------------------ escrow

    /// @inheritdoc IEnergyMarket
    function deposit(uint64 slot, uint256 amount) external {
        _credit(slot, msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IEnergyMarket
    function depositMany(uint64[] calldata slots, uint256[] calldata amounts) external {
        uint256 count = slots.length;
        if (amounts.length != count) revert EnergyMarketDepositLengthMismatch(count, amounts.length);
        uint256 sum;
        for (uint256 i; i < count; ++i) {
            _credit(slots[i], msg.sender, amounts[i]);
            sum += amounts[i];
        }
        if (sum != 0) _token.safeTransferFrom(msg.sender, address(this), sum);
    }

    /// @inheritdoc IEnergyMarket
    function reclaim(uint64 slot) external {
        uint256 opensAt = slotEnd(slot) + _settlementWindow;
        // A slot before the last one settled can never be settled any more: its escrow is free at once.
        // Slots last minutes and the window days: a validator's few seconds of timestamp leeway do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < opensAt && slot >= _lastSlot) revert EnergyMarketReclaimNotOpen(slot, opensAt);
        uint256 amount = _escrowOf[slot][msg.sender];
        // A settled slot's escrow belongs to its leaves now.
        if (amount == 0 || _rootOf[slot] != bytes32(0)) revert EnergyMarketNothingToReclaim(slot, msg.sender);

        _escrowOf[slot][msg.sender] = 0;
        // Every amount here was added to both sums by `_credit` and is still part of them: unsettled escrow leaves
        // them only through this function, which zeroes the account's share first.
        _escrowed[slot] -= amount;
        _escrowHeld -= amount;
        emit EscrowReclaimed(slot, msg.sender, amount);

        _token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------------------------------------ grid reserve

    /// @inheritdoc IEnergyMarket
    function fundGridReserve(uint256 amount) external {
        if (amount == 0) revert EnergyMarketZeroAmount();
        _gridReserve += amount;
        emit GridReserveFunded(msg.sender, amount);

        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IEnergyMarket
    function withdrawGridReserve(uint256 amount) external {
        address grid = _gridAccount;
        if (msg.sender != grid) revert EnergyMarketNotGridAccount(msg.sender);
        if (amount == 0) revert EnergyMarketZeroAmount();
        uint256 reserve = _gridReserve;
        if (amount > reserve) revert EnergyMarketGridReserveShort(amount, reserve);
        unchecked {
            // Checked above: `amount <= reserve`.
            _gridReserve = reserve - amount;
        }
        emit GridReserveWithdrawn(grid, amount);

        _token.safeTransfer(grid, amount);
    }

    /// @inheritdoc IEnergyMarket
    function setGridAccount(address account) external onlyOwner {
        _setGridAccount(account);
    }

    // ------------------------------------------------------------------------------------------------ settlement

    /// @inheritdoc IEnergyMarket
    function settle(
        uint64 slot,
        uint64 previousSlot,
        bytes32 root,
        uint256 total,
        uint256 gridDraw,
        bytes32 statementHash,
        bytes[] calldata signatures
    ) external {
        // One memory struct keeps the stack shallow.
        _settle(Submission(slot, previousSlot, root, total, gridDraw, statementHash), signatures);
    }

    /// @inheritdoc IEnergyMarket
    function withdraw(address account, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        returns (uint256 paid)
    {
        paid = _record(account, cumulativeAmount, proof);
        if (paid == 0) revert EnergyMarketNothingToWithdraw(account);
        uint256 totalAfter = _checkFunding(paid);

        _totalWithdrawn = totalAfter;
        emit SettlementWithdrawn(account, paid, cumulativeAmount, msg.sender);

        _token.safeTransfer(account, paid);
    }

    /// @inheritdoc IEnergyMarket
    /// @dev Two passes so that every check and write happens before the first transfer.
    function withdrawMany(
        address[] calldata accounts,
        uint256[] calldata cumulativeAmounts,
        bytes32[][] calldata proofs
    ) external returns (uint256 totalPaid) {
        uint256 count = accounts.length;
        if (cumulativeAmounts.length != count || proofs.length != count) {
            revert EnergyMarketWithdrawLengthMismatch(count, cumulativeAmounts.length, proofs.length);
        }
        uint256[] memory paid = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            uint256 amount = _record(accounts[i], cumulativeAmounts[i], proofs[i]);
            if (amount == 0) continue;
            paid[i] = amount;
            totalPaid += amount;
            emit SettlementWithdrawn(accounts[i], amount, cumulativeAmounts[i], msg.sender);
        }
        if (totalPaid == 0) return 0;
        _totalWithdrawn = _checkFunding(totalPaid);

        for (uint256 i; i < count; ++i) {
            if (paid[i] != 0) _token.safeTransfer(accounts[i], paid[i]);
        }
    }

    // ------------------------------------------------------------------------------------------------ views

    /// @inheritdoc IEnergyMarket
    function settlementDigest(
        uint64 slot,
        uint64 previousSlot,
        bytes32 root,
        uint256 total,
        uint256 gridDraw,
        bytes32 statementHash
    ) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(SETTLEMENT_TYPEHASH, slot, previousSlot, root, total, gridDraw, statementHash))
        );
    }

    /// @inheritdoc IEnergyMarket
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc IEnergyMarket
    function oracleQuorum() external view returns (IOracleQuorum) {
        return _oracleQuorum;
    }

    /// @inheritdoc IEnergyMarket
    function slotSeconds() external view returns (uint256) {
        return _slotSeconds;
    }

    /// @inheritdoc IEnergyMarket
    function settlementWindow() external view returns (uint256) {
        return _settlementWindow;
    }

    /// @inheritdoc IEnergyMarket
    function slotStart(uint64 slot) public view returns (uint256) {
        return uint256(slot) * _slotSeconds;
    }

    /// @inheritdoc IEnergyMarket
    function slotEnd(uint64 slot) public view returns (uint256) {
        return (uint256(slot) + 1) * _slotSeconds;
    }

    /// @inheritdoc IEnergyMarket
    function gridAccount() external view returns (address) {
        return _gridAccount;
    }

    /// @inheritdoc IEnergyMarket
    function gridReserve() external view returns (uint256) {
        return _gridReserve;
    }

    /// @inheritdoc IEnergyMarket
    function escrowed(uint64 slot) external view returns (uint256) {
        return _escrowed[slot];
    }

    /// @inheritdoc IEnergyMarket
    function escrowOf(uint64 slot, address account) external view returns (uint256) {
        return _escrowOf[slot][account];
    }

    /// @inheritdoc IEnergyMarket
    function lastSlot() external view returns (uint64) {
        return _lastSlot;
    }

    /// @inheritdoc IEnergyMarket
    function isSettled(uint64 slot) external view returns (bool) {
        return _rootOf[slot] != bytes32(0);
    }

    /// @inheritdoc IEnergyMarket
    function rootOf(uint64 slot) external view returns (bytes32) {
        return _rootOf[slot];
    }

    /// @inheritdoc IEnergyMarket
    function currentRoot() external view returns (bytes32) {
        return _currentRoot;
    }

    /// @inheritdoc IEnergyMarket
    function currentTotal() external view returns (uint256) {
        return _currentTotal;
    }

    /// @inheritdoc IEnergyMarket
    function withdrawn(address account) external view returns (uint256) {
        return _withdrawn[account];
    }

    /// @inheritdoc IEnergyMarket
    function totalWithdrawn() external view returns (uint256) {
        return _totalWithdrawn;
    }

    /// @inheritdoc IEnergyMarket
    function escrowHeld() external view returns (uint256) {
        return _escrowHeld;
    }

    /// @inheritdoc IEnergyMarket
    function owed() external view returns (uint256) {
        return _currentTotal - _totalWithdrawn;
    }

    // ------------------------------------------------------------------------------------------------ internals

    /// @dev Books a deposit of `amount` by `account` for `slot` (the caller then pulls the tokens).
    function _credit(uint64 slot, address account, uint256 amount) private {
        if (amount == 0) revert EnergyMarketZeroAmount();
        uint256 start = slotStart(slot);
        // Buyers escrow well before gate closure; a few seconds of timestamp leeway change nothing.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= start) revert EnergyMarketDepositClosed(slot, start);
        _escrowOf[slot][account] += amount;
        _escrowed[slot] += amount;
        _escrowHeld += amount;
        emit EscrowDeposited(slot, account, amount);
    }

    /// @dev Checks a settlement (chain, timing, balance, reserve, quorum), then applies it.
    function _settle(Submission memory s, bytes[] calldata signatures) private {
        if (s.root == bytes32(0)) revert EnergyMarketZeroRoot(s.slot);
        if (s.previousSlot != _lastSlot) revert EnergyMarketWrongPreviousSlot(s.previousSlot, _lastSlot);
        if (s.slot <= s.previousSlot) revert EnergyMarketSlotNotAfterPrevious(s.slot, s.previousSlot);
        uint256 end = slotEnd(s.slot);
        // The oracles settle minutes after the end; a few seconds of timestamp leeway change nothing.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < end) revert EnergyMarketSlotNotEnded(s.slot, end);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= end + _settlementWindow) {
            revert EnergyMarketSettlementExpired(s.slot, end + _settlementWindow);
        }
        uint256 escrow = _escrowed[s.slot];
        if (escrow == 0 && s.gridDraw == 0) revert EnergyMarketNothingToSettle(s.slot);
        if (s.total != _currentTotal + escrow + s.gridDraw) {
            revert EnergyMarketUnbalanced(s.total, _currentTotal, escrow, s.gridDraw);
        }
        uint256 reserve = _gridReserve;
        if (s.gridDraw > reserve) revert EnergyMarketGridReserveShort(s.gridDraw, reserve);
        address[] memory signers = _recoverQuorum(
            settlementDigest(s.slot, s.previousSlot, s.root, s.total, s.gridDraw, s.statementHash), signatures
        );

        _lastSlot = s.slot;
        _rootOf[s.slot] = s.root;
        _currentRoot = s.root;
        _currentTotal = s.total;
        unchecked {
            // Checked above: `gridDraw <= reserve`; and the slot's escrow is part of `_escrowHeld` (added by
            // `_credit`, removed only by `reclaim`, which cannot have run for a slot that can still be settled).
            _gridReserve = reserve - s.gridDraw;
            _escrowHeld -= escrow;
        }
        emit SlotSettled(s.slot, s.previousSlot, s.root, s.total, s.gridDraw, s.statementHash, signers);
    }

    /// @dev Checks one leaf of the current root and records it as withdrawn; returns what it pays (0 when the
    ///      party has already withdrawn that much, without checking the proof).
    function _record(address account, uint256 cumulativeAmount, bytes32[] calldata proof) private returns (uint256) {
        uint256 already = _withdrawn[account];
        if (cumulativeAmount <= already) return 0;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        if (!MerkleProof.verifyCalldata(proof, _currentRoot, leaf)) revert EnergyMarketInvalidProof(account);
        _withdrawn[account] = cumulativeAmount;
        unchecked {
            // Checked above: `cumulativeAmount > already`.
            return cumulativeAmount - already;
        }
    }

    /// @dev What `totalWithdrawn()` becomes after paying `amount`; reverts if that would pass `currentTotal()`.
    function _checkFunding(uint256 amount) private view returns (uint256 totalAfter) {
        totalAfter = _totalWithdrawn + amount;
        if (totalAfter > _currentTotal) revert EnergyMarketPayoutExceedsTotal(totalAfter, _currentTotal);
    }

    /// @dev Recovers every signer, requiring at least the spine's threshold of signatures, all well-formed, from
    ///      registered oracles, in strictly ascending order (which rules out counting one oracle twice).
    function _recoverQuorum(bytes32 digest, bytes[] calldata signatures)
        private
        view
        returns (address[] memory signers)
    {
        uint256 count = signatures.length;
        uint256 needed = _oracleQuorum.threshold();
        if (count < needed) revert EnergyMarketQuorumNotMet(count, needed);

        signers = new address[](count);
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (error != ECDSA.RecoverError.NoError) revert EnergyMarketInvalidSignature(i);
            if (signer <= previous) revert EnergyMarketSignersNotSorted();
            if (!_oracleQuorum.isOracle(signer)) revert EnergyMarketNotOracle(signer);
            signers[i] = signer;
            previous = signer;
        }
    }

    function _setGridAccount(address account) private {
        if (account == address(0)) revert EnergyMarketInvalidGridAccount();
        address previous = _gridAccount;
        _gridAccount = account;
        emit GridAccountUpdated(previous, account);
    }
}
