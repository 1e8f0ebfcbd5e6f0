// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IDataCredits
/// @notice Non-transferable Data Credits: minted only by burning GroundToken at an oracle price, each credit worth a
///         fixed $0.00001, spent on the network's services. An account spends its own credits on fees
///         (`spend`); a data session is paid by an authorized spender (the settlement) that debits a client up to
///         what the client signed for that session (EIP-712 `SessionAuthorization`). Credits have no transfer
///         function: they can only be minted, held and spent.
interface IDataCredits {
    /// @notice One session debit in a settlement batch.
    /// @param client The account whose credits pay for the session; it signed the authorization.
    /// @param sessionId The session, chosen by the client (unique per client).
    /// @param provider The device that serves the session (the hotspot's device id).
    /// @param maxCredits The most the client allows this session to cost, in credits.
    /// @param deadline Unix time after which the authorization no longer debits anything.
    /// @param cumulativeCredits What the session has cost so far in total; the debit is the part not yet debited.
    /// @param signature The client's 65-byte signature over `sessionAuthorizationDigest(...)`.
    struct SessionDebit {
        address client;
        bytes32 sessionId;
        uint256 provider;
        uint256 maxCredits;
        uint64 deadline;
        uint256 cumulativeCredits;
        bytes signature;
    }

    /// @notice Emitted when credits are minted by burning tokens.
    /// @param payer The account whose tokens were burned.
    /// @param account The account credited.
    /// @param tokens The tokens burned, in base units.
    /// @param credits The credits minted.
    /// @param priceE8 The price used: US dollars per whole token, 8 decimals.
    event CreditsMinted(address indexed payer, address indexed account, uint256 tokens, uint256 credits, uint256 priceE8);

    /// @notice Emitted when an account spends its own credits (fees such as onboarding or location assertion).
    /// @param account The account that spent.
    /// @param purpose What was paid for, a short ASCII tag left-aligned in bytes32 (e.g. "coverage.assert").
    /// @param ref What the payment refers to (e.g. a device id or a hash binding a device and a location).
    /// @param amount The credits spent.
    event CreditsSpent(address indexed account, bytes32 indexed purpose, bytes32 ref, uint256 amount);

    /// @notice Emitted when a settlement debits a client for a session.
    /// @param sessionId The session.
    /// @param client The account debited.
    /// @param provider The device that served the session.
    /// @param amount The credits debited now.
    /// @param totalDebited Everything debited for this session so far.
    /// @param spender The settlement account that submitted the debit.
    event SessionDebited(
        bytes32 indexed sessionId,
        address indexed client,
        uint256 indexed provider,
        uint256 amount,
        uint256 totalDebited,
        address spender
    );

    /// @notice Emitted when a quorum of oracles sets a new price.
    /// @param priceE8 US dollars per whole token, 8 decimals.
    /// @param timestamp When the oracles observed the price (Unix seconds).
    /// @param signers The oracles whose signatures were accepted, ascending.
    event PriceUpdated(uint256 priceE8, uint64 timestamp, address[] signers);

    /// @notice Emitted when the owner allows or disallows a settlement account.
    /// @param spender The account.
    /// @param allowed Whether it may now submit session debits.
    event SpenderSet(address indexed spender, bool allowed);

    /// @notice Emitted when the owner changes how old a price may be for minting.
    /// @param maxPriceAge The new bound, seconds.
    event MaxPriceAgeSet(uint64 maxPriceAge);

    /// @notice A zero account was given where credits would be minted.
    error DataCreditsInvalidAccount(address account);

    /// @notice Minting needs a price and none has been set yet.
    error DataCreditsPriceUnset();

    /// @notice The price is older than `maxPriceAge()`.
    /// @param priceTimestamp When the current price was observed.
    /// @param maxPriceAge The bound, seconds.
    /// @param currentTime The block timestamp.
    error DataCreditsPriceStale(uint64 priceTimestamp, uint64 maxPriceAge, uint256 currentTime);

    /// @notice The tokens given buy less than one credit.
    /// @param tokens The tokens given.
    error DataCreditsZeroCredits(uint256 tokens);

    /// @notice The credits a mint would produce are below the minimum the payer accepts.
    /// @param credits What the mint would produce.
    /// @param minCredits The minimum asked for.
    error DataCreditsSlippage(uint256 credits, uint256 minCredits);

    /// @notice An account tried to spend more credits than it holds.
    /// @param account The account.
    /// @param balance Its balance.
    /// @param needed The amount asked for.
    error DataCreditsInsufficientCredits(address account, uint256 balance, uint256 needed);

    /// @notice A spend of zero credits.
    error DataCreditsZeroAmount();

    /// @notice Session debits were submitted by an account that is not an authorized spender.
    /// @param caller The account.
    error DataCreditsNotSpender(address caller);

    /// @notice A session debit's signature does not recover to its client (or is malformed).
    /// @param index The position of the debit in the batch.
    error DataCreditsInvalidAuthorization(uint256 index);

    /// @notice A price of zero or one that does not fit 128 bits.
    /// @param priceE8 The price given.
    error DataCreditsInvalidPrice(uint256 priceE8);

    /// @notice A price update that is not newer than the current one.
    /// @param timestamp The update's timestamp.
    /// @param current The current price's timestamp.
    error DataCreditsPriceNotNewer(uint64 timestamp, uint64 current);

    /// @notice A price update stamped later than the current block.
    /// @param timestamp The update's timestamp.
    /// @param currentTime The block timestamp.
    error DataCreditsPriceInFuture(uint64 timestamp, uint256 currentTime);

    /// @notice Fewer oracle signatures than the oracle set's threshold.
    /// @param signatures The number given.
    /// @param needed The threshold.
    error DataCreditsQuorumNotMet(uint256 signatures, uint256 needed);

    /// @notice A price signature is malformed: not 65 bytes, high s, or unrecoverable.
    /// @param index The position of the signature.
    error DataCreditsInvalidSignature(uint256 index);

    /// @notice Price signers are not strictly ascending by address (this also rejects duplicates).
    error DataCreditsSignersNotSorted();

    /// @notice A price signature recovers to an account that is not an oracle.
    /// @param signer The recovered account.
    error DataCreditsNotOracle(address signer);

    /// @notice A `maxPriceAge` of zero.
    error DataCreditsInvalidMaxPriceAge(uint64 maxPriceAge);

    /// @notice Burns `tokens` of the caller's GroundToken (after `approve`) and credits `account` at the current
    ///         price: `credits = tokens * priceE8 / 1e21` (rounded down).
    /// @param account Who receives the credits (may differ from the payer; the credits stay with it).
    /// @param tokens Tokens to burn, base units.
    /// @param minCredits The least the caller accepts (protects against a price update in between).
    /// @return credits The credits minted.
    function mint(address account, uint256 tokens, uint256 minCredits) external returns (uint256 credits);

    /// @notice `mint` preceded by an EIP-2612 permit of the caller for this contract, in one transaction. A permit
    ///         that fails (e.g. already used by a front-runner) is ignored; the mint then needs the allowance.
    /// @param account Who receives the credits.
    /// @param tokens Tokens to burn, base units.
    /// @param minCredits The least the caller accepts.
    /// @param deadline The permit's deadline.
    /// @param v The permit signature's v.
    /// @param r The permit signature's r.
    /// @param s The permit signature's s.
    /// @return credits The credits minted.
    function mintWithPermit(
        address account,
        uint256 tokens,
        uint256 minCredits,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 credits);

    /// @notice Spends the caller's own credits on a fee.
    /// @param amount Credits to spend, > 0.
    /// @param purpose What is paid for.
    /// @param ref What the payment refers to.
    function spend(uint256 amount, bytes32 purpose, bytes32 ref) external;

    /// @notice Debits clients for their data sessions; authorized spenders only. Each debit is checked against the
    ///         client's signed authorization and pays `cumulativeCredits - debitedOf(client, sessionId)`, capped by
    ///         `maxCredits` and by the client's balance; an expired authorization or one already settled debits
    ///         nothing. A signature that does not recover to the client reverts the whole batch.
    /// @param debits The batch.
    /// @return total The credits debited in this call.
    function settleSessions(SessionDebit[] calldata debits) external returns (uint256 total);

    /// @notice Sets the price from a quorum of the RewardsDistributor's oracles (EIP-712 `PriceUpdate`); anyone may
    ///         submit. Signatures must come from distinct oracles in ascending address order.
    /// @param priceE8 US dollars per whole token, 8 decimals; `0 < priceE8 < 2**128`.
    /// @param timestamp When the price was observed; newer than the current one and not in the future.
    /// @param signatures At least `threshold()` oracle signatures over `priceUpdateDigest(priceE8, timestamp)`.
    function setPrice(uint256 priceE8, uint64 timestamp, bytes[] calldata signatures) external;

    /// @notice Allows or disallows a settlement account; owner only.
    /// @param spender The account.
    /// @param allowed Whether it may submit session debits.
    function setSpender(address spender, bool allowed) external;

    /// @notice Sets how old the price may be for minting; owner only.
    /// @param maxPriceAge Seconds, > 0.
    function setMaxPriceAge(uint64 maxPriceAge) external;

    /// @notice The fixed value of one credit: US dollars with 8 decimals (1,000 = $0.00001).
    function CREDIT_USD_E8() external view returns (uint256);

    /// @notice The credits an account holds.
    /// @param account The account.
    function balanceOf(address account) external view returns (uint256);

    /// @notice Credits in existence: minted minus spent.
    function totalSupply() external view returns (uint256);

    /// @notice All credits ever minted.
    function totalMinted() external view returns (uint256);

    /// @notice All credits ever spent (fees and sessions).
    function totalSpent() external view returns (uint256);

    /// @notice All GroundToken ever burned for credits.
    function totalTokensBurned() external view returns (uint256);

    /// @notice The current price and when it was observed (both 0 before the first update).
    function price() external view returns (uint256 priceE8, uint64 timestamp);

    /// @notice How old the price may be for minting, seconds.
    function maxPriceAge() external view returns (uint64);

    /// @notice Whether an account may submit session debits.
    /// @param spender The account.
    function isSpender(address spender) external view returns (bool);

    /// @notice Credits debited so far for a client's session.
    /// @param client The client.
    /// @param sessionId The session.
    function debitedOf(address client, bytes32 sessionId) external view returns (uint256);

    /// @notice The credits `tokens` buy at the current price (0 before the first price).
    /// @param tokens Tokens, base units.
    function creditsForTokens(uint256 tokens) external view returns (uint256);

    /// @notice The fewest tokens that buy at least `credits` at the current price.
    /// @param credits The credits wanted.
    function tokensForCredits(uint256 credits) external view returns (uint256);

    /// @notice The EIP-712 digest oracles sign for a price update.
    /// @param priceE8 The price.
    /// @param timestamp The observation time.
    function priceUpdateDigest(uint256 priceE8, uint64 timestamp) external view returns (bytes32);

    /// @notice The EIP-712 digest a client signs to authorize a session.
    /// @param sessionId The session.
    /// @param provider The serving device.
    /// @param maxCredits The cap.
    /// @param deadline The expiry.
    function sessionAuthorizationDigest(bytes32 sessionId, uint256 provider, uint256 maxCredits, uint64 deadline)
        external
        view
        returns (bytes32);

    /// @notice The token burned for credits.
    function token() external view returns (address);

    /// @notice The contract whose oracle set and threshold sign prices (the RewardsDistributor).
    function oracleSource() external view returns (address);
}
