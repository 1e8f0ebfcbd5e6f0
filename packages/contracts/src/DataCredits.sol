// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {GroundToken} from "./GroundToken.sol";
import {IDataCredits} from "./interfaces/IDataCredits.sol";
import {IRewardsDistributor} from "./interfaces/IRewardsDistributor.sol";

/// @title DataCredits
/// @notice Burn-and-mint Data Credits. GroundToken burned here leaves the token's supply for good (the emission
///         schedule mints new tokens as rewards); the credits minted in exchange are worth a fixed $0.00001 each and
///         cannot be transferred. They are spent on fees by their holder, or debited for data sessions by an
///         authorized settlement account within what the client signed for.
/// @dev Price: US dollars per whole token with 8 decimals, set by a quorum of the RewardsDistributor's oracles
///      (its `isOracle` and `threshold`, read at each update), so the same keys and quorum that sign reward roots
///      sign prices, and replacing the oracle set there replaces it here. A mint needs a price no older than
///      `maxPriceAge`. Credits for `tokens` base units: `tokens * priceE8 / (1e18 * CREDIT_USD_E8)`, rounded down
///      (rounding favours the network).
contract DataCredits is IDataCredits, EIP712, Ownable {
    /// @inheritdoc IDataCredits
    uint256 public constant CREDIT_USD_E8 = 1_000;

    /// @notice EIP-712 type of a price update signed by oracles.
    bytes32 public constant PRICE_UPDATE_TYPEHASH = keccak256("PriceUpdate(uint256 priceE8,uint64 timestamp)");

    /// @notice EIP-712 type a client signs to open a session.
    bytes32 public constant SESSION_AUTHORIZATION_TYPEHASH =
        keccak256("SessionAuthorization(bytes32 sessionId,uint256 provider,uint256 maxCredits,uint64 deadline)");

    /// @dev 1e18 token base units per token times CREDIT_USD_E8.
    uint256 private constant _CREDIT_DIVISOR = 1e18 * CREDIT_USD_E8;

    /// @dev Price and its timestamp share one slot: a mint reads one slot for both.
    struct Price {
        uint128 priceE8;
        uint64 timestamp;
    }

    GroundToken private immutable _token;
    IRewardsDistributor private immutable _oracleSource;

    Price private _price;
    uint64 private _maxPriceAge;
    uint256 private _totalSupply;
    uint256 private _totalMinted;
    uint256 private _totalSpent;
    uint256 private _totalTokensBurned;
    mapping(address account => uint256) private _balances;
    mapping(address account => bool) private _spenders;
    mapping(bytes32 sessionKey => uint256) private _debited;

    /// @param token_ The token burned for credits.
    /// @param oracleSource_ The RewardsDistributor whose oracle set and threshold sign prices.
    /// @param owner_ The owner, who manages spenders and the price age bound.
    /// @param maxPriceAge_ How old the price may be for minting, seconds (> 0).
    constructor(GroundToken token_, IRewardsDistributor oracleSource_, address owner_, uint64 maxPriceAge_)
        EIP712("GroundworkDataCredits", "1")
        Ownable(owner_)
    {
        _token = token_;
        _oracleSource = oracleSource_;
        _setMaxPriceAge(maxPriceAge_);
    }

    /// @inheritdoc IDataCredits
    function mint(address account, uint256 tokens, uint256 minCredits) external returns (uint256 credits) {
        credits = _mint(account, tokens, minCredits);
    }

    /// @inheritdoc IDataCredits
    function mintWithPermit(
        address account,
        uint256 tokens,
        uint256 minCredits,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 credits) {
        // A front-runner may have used the permit already; the allowance it set is what matters, and `_mint`
        // fails on its own if there is none.
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), tokens, deadline, v, r, s) {} catch {}
        credits = _mint(account, tokens, minCredits);
    }

    /// @inheritdoc IDataCredits
    function spend(uint256 amount, bytes32 purpose, bytes32 ref) external {
        if (amount == 0) revert DataCreditsZeroAmount();
        _debit(msg.sender, amount);
        emit CreditsSpent(msg.sender, purpose, ref, amount);
    }

    /// @inheritdoc IDataCredits
    function settleSessions(SessionDebit[] calldata debits) external returns (uint256 total) {
        if (!_spenders[msg.sender]) revert DataCreditsNotSpender(msg.sender);
        uint256 count = debits.length;
        for (uint256 i; i < count; ++i) {
            SessionDebit calldata d = debits[i];
            bytes32 digest = sessionAuthorizationDigest(d.sessionId, d.provider, d.maxCredits, d.deadline);
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, d.signature);
            if (error != ECDSA.RecoverError.NoError || signer != d.client || signer == address(0)) {
                revert DataCreditsInvalidAuthorization(i);
            }
            // Second-level drift by a validator cannot matter for an expiry the client chose.
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp > d.deadline) continue;
            bytes32 key = keccak256(abi.encode(d.client, d.sessionId));
            uint256 already = _debited[key];
            uint256 target = Math.min(d.cumulativeCredits, d.maxCredits);
            if (target <= already) continue;
            uint256 amount;
            unchecked {
                // Checked above: `target > already`.
                amount = target - already;
            }
            amount = Math.min(amount, _balances[d.client]);
            if (amount == 0) continue;
            _debit(d.client, amount);
            uint256 after_;
            unchecked {
                // `already + amount <= target <= maxCredits`: cannot overflow.
                after_ = already + amount;
            }
            _debited[key] = after_;
            total += amount;
            emit SessionDebited(d.sessionId, d.client, d.provider, amount, after_, msg.sender);
        }
    }

    /// @inheritdoc IDataCredits
    function setPrice(uint256 priceE8, uint64 timestamp, bytes[] calldata signatures) external {
        if (priceE8 == 0 || priceE8 > type(uint128).max) revert DataCreditsInvalidPrice(priceE8);
        Price memory current = _price;
        if (timestamp <= current.timestamp) revert DataCreditsPriceNotNewer(timestamp, current.timestamp);
        // forge-lint: disable-next-line(block-timestamp)
        if (timestamp > block.timestamp) revert DataCreditsPriceInFuture(timestamp, block.timestamp);
        address[] memory signers = _recoverQuorum(priceUpdateDigest(priceE8, timestamp), signatures);
        // casting to 'uint128' is safe because `priceE8 <= type(uint128).max` was checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        _price = Price({priceE8: uint128(priceE8), timestamp: timestamp});
        emit PriceUpdated(priceE8, timestamp, signers);
    }

    /// @inheritdoc IDataCredits
    function setSpender(address spender, bool allowed) external onlyOwner {
        _spenders[spender] = allowed;
        emit SpenderSet(spender, allowed);
    }

    /// @inheritdoc IDataCredits
    function setMaxPriceAge(uint64 maxPriceAge_) external onlyOwner {
        _setMaxPriceAge(maxPriceAge_);
    }

    /// @inheritdoc IDataCredits
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IDataCredits
    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }

    /// @inheritdoc IDataCredits
    function totalMinted() external view returns (uint256) {
        return _totalMinted;
    }

    /// @inheritdoc IDataCredits
    function totalSpent() external view returns (uint256) {
        return _totalSpent;
    }

    /// @inheritdoc IDataCredits
    function totalTokensBurned() external view returns (uint256) {
        return _totalTokensBurned;
    }

    /// @inheritdoc IDataCredits
    function price() external view returns (uint256 priceE8, uint64 timestamp) {
        Price memory p = _price;
        return (p.priceE8, p.timestamp);
    }

    /// @inheritdoc IDataCredits
    function maxPriceAge() external view returns (uint64) {
        return _maxPriceAge;
    }

    /// @inheritdoc IDataCredits
    function isSpender(address spender) external view returns (bool) {
        return _spenders[spender];
    }

    /// @inheritdoc IDataCredits
    function debitedOf(address client, bytes32 sessionId) external view returns (uint256) {
        return _debited[keccak256(abi.encode(client, sessionId))];
    }

    /// @inheritdoc IDataCredits
    function creditsForTokens(uint256 tokens) external view returns (uint256) {
        return Math.mulDiv(tokens, _price.priceE8, _CREDIT_DIVISOR);
    }

    /// @inheritdoc IDataCredits
    function tokensForCredits(uint256 credits) external view returns (uint256) {
        uint256 p = _price.priceE8;
        if (p == 0) revert DataCreditsPriceUnset();
        return Math.mulDiv(credits, _CREDIT_DIVISOR, p, Math.Rounding.Ceil);
    }

    /// @inheritdoc IDataCredits
    function priceUpdateDigest(uint256 priceE8, uint64 timestamp) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PRICE_UPDATE_TYPEHASH, priceE8, timestamp)));
    }

    /// @inheritdoc IDataCredits
    function sessionAuthorizationDigest(bytes32 sessionId, uint256 provider, uint256 maxCredits, uint64 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(SESSION_AUTHORIZATION_TYPEHASH, sessionId, provider, maxCredits, deadline))
        );
    }

    /// @inheritdoc IDataCredits
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IDataCredits
    function oracleSource() external view returns (address) {
        return address(_oracleSource);
    }

    /// @dev Checks the price and the amounts, credits the account, then burns the payer's tokens last (the token is
    ///      a trusted contract without callbacks; the order is kept anyway). `burnFrom` spends the allowance the payer
    ///      gave this contract and reverts without one, undoing the credit.
    function _mint(address account, uint256 tokens, uint256 minCredits) private returns (uint256 credits) {
        if (account == address(0)) revert DataCreditsInvalidAccount(account);
        Price memory p = _price;
        if (p.priceE8 == 0) revert DataCreditsPriceUnset();
        // `p.timestamp <= block.timestamp` (checked when set), so the subtraction cannot underflow.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp - p.timestamp > _maxPriceAge) {
            revert DataCreditsPriceStale(p.timestamp, _maxPriceAge, block.timestamp);
        }
        credits = Math.mulDiv(tokens, p.priceE8, _CREDIT_DIVISOR);
        if (credits == 0) revert DataCreditsZeroCredits(tokens);
        if (credits < minCredits) revert DataCreditsSlippage(credits, minCredits);

        // Credits are bounded by tokens * 2**128 / 1e21 and tokens by the token's cap (< 2**208), so these sums of
        // credits stay far below 2**256; `_totalTokensBurned` is bounded by the cap.
        _balances[account] += credits;
        _totalSupply += credits;
        _totalMinted += credits;
        _totalTokensBurned += tokens;
        emit CreditsMinted(msg.sender, account, tokens, credits, p.priceE8);

        _token.burnFrom(msg.sender, tokens);
    }

    /// @dev Removes `amount` credits from `account`; the one place balances go down.
    function _debit(address account, uint256 amount) private {
        uint256 balance = _balances[account];
        if (balance < amount) revert DataCreditsInsufficientCredits(account, balance, amount);
        unchecked {
            // Checked above: `balance >= amount`; and `_totalSupply >= balance` (it is the sum of all balances).
            _balances[account] = balance - amount;
            _totalSupply -= amount;
        }
        _totalSpent += amount;
    }

    function _setMaxPriceAge(uint64 maxPriceAge_) private {
        if (maxPriceAge_ == 0) revert DataCreditsInvalidMaxPriceAge(maxPriceAge_);
        _maxPriceAge = maxPriceAge_;
        emit MaxPriceAgeSet(maxPriceAge_);
    }

    /// @dev Recovers every signer, requiring at least the oracle source's threshold of well-formed signatures from
    ///      its oracles, in strictly ascending order (which rules out counting one oracle twice).
    function _recoverQuorum(bytes32 digest, bytes[] calldata signatures)
        private
        view
        returns (address[] memory signers)
    {
        uint256 count = signatures.length;
        uint256 needed = _oracleSource.threshold();
        if (count < needed) revert DataCreditsQuorumNotMet(count, needed);

        signers = new address[](count);
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (error != ECDSA.RecoverError.NoError) revert DataCreditsInvalidSignature(i);
            if (signer <= previous) revert DataCreditsSignersNotSorted();
            if (!_oracleSource.isOracle(signer)) revert DataCreditsNotOracle(signer);
            signers[i] = signer;
            previous = signer;
        }
    }
}
