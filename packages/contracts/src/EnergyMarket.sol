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
///      - a settlement moves the slot's escrow and the grid draw into `owed`, and only if its total is exactly their
///        sum, so every unit escrowed is paid out or refunded, never kept and never created;
///      - a withdrawal takes its leaf out of `owed`, and a slot never pays out more than its total.
///      The oracle set and quorum are read from the spine's RewardsDistributor on every settlement, never copied.
///      Calls to the token come last in every function (checks, effects, interactions).
contract EnergyMarket is IEnergyMarket, EIP712, Ownable {
    using SafeERC20 for IERC20;

    /// @inheritdoc IEnergyMarket
    bytes32 public constant SETTLEMENT_TYPEHASH = keccak256(
        "SlotSettlement(uint64 slot,bytes32 root,uint256 total,uint256 gridDraw,bytes32 statementHash)"
    );

    IERC20 private immutable _token;
    IOracleQuorum private immutable _oracleQuorum;
    uint256 private immutable _slotSeconds;
    uint256 private immutable _settlementWindow;

    address private _gridAccount;
    uint256 private _gridReserve;
    uint256 private _escrowHeld;
    uint256 private _owed;

    mapping(uint64 slot => uint256) private _escrowed;
    mapping(uint64 slot => mapping(address account => uint256)) private _escrowOf;
    mapping(uint64 slot => Settlement) private _settlements;
    mapping(uint64 slot => mapping(address account => bool)) private _withdrawn;

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
        // Slots last minutes and the window days: a validator's few seconds of timestamp leeway do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < opensAt) revert EnergyMarketReclaimNotOpen(slot, opensAt);
        uint256 amount = _escrowOf[slot][msg.sender];
        // A settled slot's escrow belongs to its leaves now.
        if (amount == 0 || _settlements[slot].settled) revert EnergyMarketNothingToReclaim(slot, msg.sender);

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
        bytes32 root,
        uint256 total,
        uint256 gridDraw,
        bytes32 statementHash,
        bytes[] calldata signatures
    ) external {
        Settlement storage s = _settlements[slot];
        if (s.settled) revert EnergyMarketAlreadySettled(slot);
        uint256 end = slotEnd(slot);
        // The oracles settle minutes after the end; a few seconds of timestamp leeway change nothing.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < end) revert EnergyMarketSlotNotEnded(slot, end);
        uint256 deadline = end + _settlementWindow;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= deadline) revert EnergyMarketSettlementExpired(slot, deadline);
        uint256 escrow = _escrowed[slot];
        if (escrow == 0 && gridDraw == 0) revert EnergyMarketNothingToSettle(slot);
        if (total != escrow + gridDraw) revert EnergyMarketUnbalanced(total, escrow, gridDraw);
        uint256 reserve = _gridReserve;
        if (gridDraw > reserve) revert EnergyMarketGridReserveShort(gridDraw, reserve);
        address[] memory signers =
            _recoverQuorum(settlementDigest(slot, root, total, gridDraw, statementHash), signatures);

        s.settled = true;
        s.root = root;
        s.total = total;
        s.gridDraw = gridDraw;
        unchecked {
            // Checked above: `gridDraw <= reserve`; and the slot's escrow is part of `_escrowHeld` (added by
            // `_credit`, removed only by `reclaim`, which cannot run for a slot that can still be settled).
            _gridReserve = reserve - gridDraw;
            _escrowHeld -= escrow;
        }
        _owed += total;
        emit SlotSettled(slot, root, total, gridDraw, statementHash, signers);
    }

    /// @inheritdoc IEnergyMarket
    function withdraw(uint64 slot, address account, uint256 amount, bytes32[] calldata proof) external {
        if (_withdrawn[slot][account]) revert EnergyMarketAlreadyWithdrawn(slot, account);
        _record(slot, account, amount, proof);
        unchecked {
            // `_record` added `amount` to the slot's payouts without passing its total, and every total is part of
            // `_owed` until paid out.
            _owed -= amount;
        }

        _token.safeTransfer(account, amount);
    }

    /// @inheritdoc IEnergyMarket
    /// @dev Two passes so that every check and write happens before the first transfer.
    function withdrawMany(
        uint64[] calldata slots,
        address[] calldata accounts,
        uint256[] calldata amounts,
        bytes32[][] calldata proofs
    ) external returns (uint256 totalPaid) {
        uint256 count = slots.length;
        if (accounts.length != count || amounts.length != count || proofs.length != count) {
            revert EnergyMarketWithdrawLengthMismatch(count, accounts.length, amounts.length, proofs.length);
        }
        bool[] memory paid = new bool[](count);
        for (uint256 i; i < count; ++i) {
            if (_withdrawn[slots[i]][accounts[i]]) continue;
            _record(slots[i], accounts[i], amounts[i], proofs[i]);
            paid[i] = true;
            totalPaid += amounts[i];
        }
        unchecked {
            // Each recorded amount stayed within its slot's total, and those totals are part of `_owed`.
            _owed -= totalPaid;
        }

        // One transfer per run of consecutive entries for the same account.
        address pending;
        uint256 sum;
        for (uint256 i; i < count; ++i) {
            if (!paid[i]) continue;
            if (accounts[i] != pending) {
                if (sum != 0) _token.safeTransfer(pending, sum);
                pending = accounts[i];
                sum = 0;
            }
            sum += amounts[i];
        }
        if (sum != 0) _token.safeTransfer(pending, sum);
    }

    // ------------------------------------------------------------------------------------------------ views

    /// @inheritdoc IEnergyMarket
    function settlementDigest(uint64 slot, bytes32 root, uint256 total, uint256 gridDraw, bytes32 statementHash)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(SETTLEMENT_TYPEHASH, slot, root, total, gridDraw, statementHash))
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
    function settlementOf(uint64 slot) external view returns (Settlement memory) {
        return _settlements[slot];
    }

    /// @inheritdoc IEnergyMarket
    function withdrawn(uint64 slot, address account) external view returns (bool) {
        return _withdrawn[slot][account];
    }

    /// @inheritdoc IEnergyMarket
    function escrowHeld() external view returns (uint256) {
        return _escrowHeld;
    }

    /// @inheritdoc IEnergyMarket
    function owed() external view returns (uint256) {
        return _owed;
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

    /// @dev Checks one leaf of a settled slot and marks it paid: settled, positive, proven, and within the slot's
    ///      total. The caller has checked that it was not withdrawn yet.
    function _record(uint64 slot, address account, uint256 amount, bytes32[] calldata proof) private {
        Settlement storage s = _settlements[slot];
        if (!s.settled) revert EnergyMarketNotSettled(slot);
        if (amount == 0) revert EnergyMarketZeroAmount();
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
        if (!MerkleProof.verifyCalldata(proof, s.root, leaf)) revert EnergyMarketInvalidProof(slot, account);
        uint256 paidOutAfter = s.paidOut + amount;
        if (paidOutAfter > s.total) revert EnergyMarketPayoutExceedsTotal(slot, paidOutAfter, s.total);

        _withdrawn[slot][account] = true;
        s.paidOut = paidOutAfter;
        emit SettlementWithdrawn(slot, account, amount, msg.sender);
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
