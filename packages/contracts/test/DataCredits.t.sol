// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {DataCredits} from "../src/DataCredits.sol";
import {EmissionSchedule} from "../src/EmissionSchedule.sol";
import {GroundToken} from "../src/GroundToken.sol";
import {RewardsDistributor} from "../src/RewardsDistributor.sol";
import {IDataCredits} from "../src/interfaces/IDataCredits.sol";
import {IRewardsDistributor} from "../src/interfaces/IRewardsDistributor.sol";
import {Test} from "./utils/Test.sol";

/// @notice Shared set-up: a token this test can mint, a distributor with three oracles (quorum 2) as the price
///         source, and DataCredits with a one-hour price age bound.
abstract contract DataCreditsFixture is Test {
    uint256 internal constant CAP = 1_000_000_000e18;
    uint64 internal constant MAX_AGE = 3600;
    uint256 internal constant PRICE = 50_000_000; // $0.50 per GRND
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    address internal governance = address(0x60F);
    uint256 internal aliceKey = 0xA11CE;
    uint256 internal clientKey = 0xC11E47;
    address internal alice;
    address internal client;
    address internal bob = address(0xB0B);
    address internal settlement = address(0x5E77);
    uint256[] internal oracleKeys;

    GroundToken internal token;
    RewardsDistributor internal distributor;
    DataCredits internal credits;

    function setUp() public virtual {
        vm.warp(1_000_000);
        alice = vm.addr(aliceKey);
        client = vm.addr(clientKey);
        token = new GroundToken(CAP, governance);
        EmissionSchedule schedule = new EmissionSchedule(token, 1_000e18, 100, governance);
        vm.prank(governance);
        token.setMinter(address(this));
        oracleKeys.push(0x0A1);
        oracleKeys.push(0x0A2);
        oracleKeys.push(0x0A3);
        address[] memory oracles = new address[](3);
        for (uint256 i; i < 3; ++i) {
            oracles[i] = vm.addr(oracleKeys[i]);
        }
        distributor = new RewardsDistributor(token, schedule, governance, oracles, 2);
        credits = new DataCredits(token, IRewardsDistributor(address(distributor)), governance, MAX_AGE);
        vm.prank(governance);
        credits.setSpender(settlement, true);
        token.mint(alice, 1_000_000e18);
        token.mint(client, 1_000_000e18);
    }

    /// @dev Signatures of the given oracle keys over a price update, sorted by signer address ascending.
    function _signPrice(uint256[] memory keys, uint256 priceE8, uint64 timestamp)
        internal
        view
        returns (bytes[] memory sigs)
    {
        bytes32 digest = credits.priceUpdateDigest(priceE8, timestamp);
        uint256 n = keys.length;
        uint256[] memory sorted = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            sorted[i] = keys[i];
        }
        for (uint256 i; i < n; ++i) {
            for (uint256 j = i + 1; j < n; ++j) {
                if (vm.addr(sorted[j]) < vm.addr(sorted[i])) (sorted[i], sorted[j]) = (sorted[j], sorted[i]);
            }
        }
        sigs = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(sorted[i], digest);
            sigs[i] = abi.encodePacked(r, s, v);
        }
    }

    function _twoOracles() internal view returns (uint256[] memory keys) {
        keys = new uint256[](2);
        keys[0] = oracleKeys[0];
        keys[1] = oracleKeys[1];
    }

    function _setPrice(uint256 priceE8) internal {
        uint64 ts = uint64(block.timestamp);
        credits.setPrice(priceE8, ts, _signPrice(_twoOracles(), priceE8, ts));
    }

    function _buy(address who, uint256 tokens) internal returns (uint256 minted) {
        vm.startPrank(who);
        token.approve(address(credits), tokens);
        minted = credits.mint(who, tokens, 0);
        vm.stopPrank();
    }

    function _authorize(uint256 key, bytes32 sessionId, uint256 provider, uint256 maxCredits, uint64 deadline)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(key, credits.sessionAuthorizationDigest(sessionId, provider, maxCredits, deadline));
        return abi.encodePacked(r, s, v);
    }

    function _debit(
        uint256 key,
        bytes32 sessionId,
        uint256 provider,
        uint256 maxCredits,
        uint64 deadline,
        uint256 cumulative
    ) internal view returns (IDataCredits.SessionDebit memory) {
        return IDataCredits.SessionDebit({
            client: vm.addr(key),
            sessionId: sessionId,
            provider: provider,
            maxCredits: maxCredits,
            deadline: deadline,
            cumulativeCredits: cumulative,
            signature: _authorize(key, sessionId, provider, maxCredits, deadline)
        });
    }

    function _one(IDataCredits.SessionDebit memory d) internal pure returns (IDataCredits.SessionDebit[] memory a) {
        a = new IDataCredits.SessionDebit[](1);
        a[0] = d;
    }

    function _permitDigest(address owner, address spender, uint256 value, uint256 nonce, uint256 deadline)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonce, deadline));
        return keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
    }
}

contract DataCreditsTest is DataCreditsFixture {
    // ---------------------------------------------------------------- constructor

    function test_constructor_setsTokenOracleSourceOwnerAndAge() public view {
        assertEq(credits.token(), address(token));
        assertEq(credits.oracleSource(), address(distributor));
        assertEq(credits.owner(), governance);
        assertEq(uint256(credits.maxPriceAge()), uint256(MAX_AGE));
        assertEq(credits.CREDIT_USD_E8(), 1_000);
        (uint256 p, uint64 ts) = credits.price();
        assertEq(p, 0);
        assertEq(uint256(ts), 0);
    }

    function test_constructor_revertsOnZeroPriceAge() public {
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsInvalidMaxPriceAge.selector, uint64(0)));
        new DataCredits(token, IRewardsDistributor(address(distributor)), governance, 0);
    }

    // ---------------------------------------------------------------- setPrice

    function test_setPrice_storesPriceAndEmitsSigners() public {
        uint64 ts = uint64(block.timestamp - 10);
        bytes[] memory sigs = _signPrice(oracleKeys, PRICE, ts);
        address[] memory signers = new address[](3);
        for (uint256 i; i < 3; ++i) {
            (signers[i],) = _recover(credits.priceUpdateDigest(PRICE, ts), sigs[i]);
        }
        vm.expectEmit(false, false, false, true, address(credits));
        emit IDataCredits.PriceUpdated(PRICE, ts, signers);
        credits.setPrice(PRICE, ts, sigs);
        (uint256 p, uint64 stored) = credits.price();
        assertEq(p, PRICE);
        assertEq(uint256(stored), uint256(ts));
    }

    function test_setPrice_revertsBelowQuorum() public {
        uint256[] memory one = new uint256[](1);
        one[0] = oracleKeys[0];
        uint64 ts = uint64(block.timestamp);
        bytes[] memory sigs = _signPrice(one, PRICE, ts);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsQuorumNotMet.selector, 1, 2));
        credits.setPrice(PRICE, ts, sigs);
    }

    function test_setPrice_revertsOnDuplicateOrUnsortedSigners() public {
        uint64 ts = uint64(block.timestamp);
        bytes[] memory sigs = _signPrice(_twoOracles(), PRICE, ts);
        bytes[] memory dup = new bytes[](2);
        dup[0] = sigs[0];
        dup[1] = sigs[0];
        vm.expectRevert(IDataCredits.DataCreditsSignersNotSorted.selector);
        credits.setPrice(PRICE, ts, dup);
        bytes[] memory swapped = new bytes[](2);
        swapped[0] = sigs[1];
        swapped[1] = sigs[0];
        vm.expectRevert(IDataCredits.DataCreditsSignersNotSorted.selector);
        credits.setPrice(PRICE, ts, swapped);
    }

    function test_setPrice_revertsForNonOracleSigner() public {
        uint256[] memory keys = new uint256[](2);
        keys[0] = oracleKeys[0];
        keys[1] = 0xBAD;
        uint64 ts = uint64(block.timestamp);
        bytes[] memory sigs = _signPrice(keys, PRICE, ts);
        // Sorted by address, so the first non-oracle found may come first or second: both name 0xBAD's account.
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsNotOracle.selector, vm.addr(0xBAD)));
        credits.setPrice(PRICE, ts, sigs);
    }

    function test_setPrice_revertsOnMalformedSignature() public {
        uint64 ts = uint64(block.timestamp);
        bytes[] memory sigs = _signPrice(_twoOracles(), PRICE, ts);
        sigs[1] = hex"1234";
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsInvalidSignature.selector, 1));
        credits.setPrice(PRICE, ts, sigs);
    }

    function test_setPrice_rejectsSignaturesForAnotherPrice() public {
        uint64 ts = uint64(block.timestamp);
        bytes[] memory sigs = _signPrice(_twoOracles(), PRICE, ts);
        // Over another price the first signature recovers to an unrelated account.
        (address stranger,) = _recover(credits.priceUpdateDigest(PRICE + 1, ts), sigs[0]);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsNotOracle.selector, stranger));
        credits.setPrice(PRICE + 1, ts, sigs);
        (uint256 p,) = credits.price();
        assertEq(p, 0);
    }

    function test_setPrice_revertsWhenNotNewerOrInFuture() public {
        _setPrice(PRICE);
        uint64 ts = uint64(block.timestamp);
        bytes[] memory same = _signPrice(_twoOracles(), PRICE, ts);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsPriceNotNewer.selector, ts, ts));
        credits.setPrice(PRICE, ts, same);
        uint64 future = ts + 1;
        bytes[] memory later = _signPrice(_twoOracles(), PRICE, future);
        vm.expectRevert(
            abi.encodeWithSelector(IDataCredits.DataCreditsPriceInFuture.selector, future, block.timestamp)
        );
        credits.setPrice(PRICE, future, later);
    }

    function test_setPrice_revertsOnZeroOrHugePrice() public {
        uint64 ts = uint64(block.timestamp);
        bytes[] memory zero = _signPrice(_twoOracles(), 0, ts);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsInvalidPrice.selector, 0));
        credits.setPrice(0, ts, zero);
        uint256 huge = uint256(type(uint128).max) + 1;
        bytes[] memory big = _signPrice(_twoOracles(), huge, ts);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsInvalidPrice.selector, huge));
        credits.setPrice(huge, ts, big);
    }

    function test_setPrice_followsTheDistributorsOracleSet() public {
        address[] memory fresh = new address[](1);
        fresh[0] = vm.addr(0xF00);
        vm.prank(governance);
        distributor.setOracles(fresh, 1);
        uint64 ts = uint64(block.timestamp);
        bytes[] memory old = _signPrice(_twoOracles(), PRICE, ts);
        address firstOld = _signerOf(old[0], ts);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsNotOracle.selector, firstOld));
        credits.setPrice(PRICE, ts, old);
        uint256[] memory keys = new uint256[](1);
        keys[0] = 0xF00;
        credits.setPrice(PRICE, ts, _signPrice(keys, PRICE, ts));
        (uint256 p,) = credits.price();
        assertEq(p, PRICE);
    }

    // ---------------------------------------------------------------- mint

    function test_mint_burnsTokensAndMintsCreditsAtThePrice() public {
        _setPrice(PRICE);
        uint256 supplyBefore = token.totalSupply();
        // 10 GRND at $0.50 = $5 = 500,000 credits of $0.00001.
        vm.startPrank(alice);
        token.approve(address(credits), 10e18);
        vm.expectEmit(true, true, false, true, address(credits));
        emit IDataCredits.CreditsMinted(alice, bob, 10e18, 500_000, PRICE);
        uint256 minted = credits.mint(bob, 10e18, 500_000);
        vm.stopPrank();
        assertEq(minted, 500_000);
        assertEq(credits.balanceOf(bob), 500_000);
        assertEq(credits.balanceOf(alice), 0);
        assertEq(token.totalSupply(), supplyBefore - 10e18);
        assertEq(token.balanceOf(alice), 1_000_000e18 - 10e18);
        assertEq(credits.totalSupply(), 500_000);
        assertEq(credits.totalMinted(), 500_000);
        assertEq(credits.totalTokensBurned(), 10e18);
        assertEq(token.allowance(alice, address(credits)), 0);
    }

    function test_mint_roundsCreditsDown() public {
        _setPrice(PRICE);
        // 2e13 * 3 - 1 base units at $0.50 = 2.99999… credits → 2.
        assertEq(_buy(alice, 6e13 - 1), 2);
    }

    function test_mint_revertsWithoutPrice() public {
        vm.prank(alice);
        token.approve(address(credits), 1e18);
        vm.expectRevert(IDataCredits.DataCreditsPriceUnset.selector);
        vm.prank(alice);
        credits.mint(alice, 1e18, 0);
    }

    function test_mint_revertsWhenPriceStale() public {
        _setPrice(PRICE);
        uint64 ts = uint64(block.timestamp);
        vm.warp(block.timestamp + MAX_AGE + 1);
        vm.prank(alice);
        token.approve(address(credits), 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(IDataCredits.DataCreditsPriceStale.selector, ts, MAX_AGE, block.timestamp)
        );
        vm.prank(alice);
        credits.mint(alice, 1e18, 0);
    }

    function test_mint_acceptsPriceExactlyAtMaxAge() public {
        _setPrice(PRICE);
        vm.warp(block.timestamp + MAX_AGE);
        assertEq(_buy(alice, 1e18), 50_000);
    }

    function test_mint_revertsOnZeroCreditsSlippageAndZeroAccount() public {
        _setPrice(PRICE);
        vm.startPrank(alice);
        token.approve(address(credits), 10e18);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsZeroCredits.selector, 2e13 - 1));
        credits.mint(alice, 2e13 - 1, 0);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsSlippage.selector, 500_000, 500_001));
        credits.mint(alice, 10e18, 500_001);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsInvalidAccount.selector, address(0)));
        credits.mint(address(0), 10e18, 0);
        vm.stopPrank();
    }

    function test_mint_revertsWithoutAllowanceAndChangesNothing() public {
        _setPrice(PRICE);
        uint256 supplyBefore = token.totalSupply();
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(credits), 0, 1e18)
        );
        vm.prank(alice);
        credits.mint(alice, 1e18, 0);
        assertEq(credits.balanceOf(alice), 0);
        assertEq(credits.totalMinted(), 0);
        assertEq(token.totalSupply(), supplyBefore);
    }

    function testFuzz_mint_creditsMatchPriceAndSupplyDropsByBurned(uint256 tokens, uint256 priceE8) public {
        priceE8 = _bound(priceE8, 1, 1e14); // up to $1,000,000 per GRND
        tokens = _bound(tokens, 0, 1_000_000e18);
        uint256 expected = tokens * priceE8 / 1e21;
        vm.assume(expected > 0);
        _setPrice(priceE8);
        uint256 supplyBefore = token.totalSupply();
        uint256 minted = _buy(alice, tokens);
        assertEq(minted, expected);
        assertEq(credits.balanceOf(alice), expected);
        assertEq(token.totalSupply(), supplyBefore - tokens);
        assertEq(credits.totalTokensBurned(), tokens);
        // Value never created: the credits' dollar value is at most the burned tokens' dollar value.
        assertLe(minted * 1_000 * 1e18, tokens * priceE8, "credits worth more than burned tokens");
    }

    // ---------------------------------------------------------------- mintWithPermit

    function test_mintWithPermit_burnsInOneTransaction() public {
        _setPrice(PRICE);
        uint256 deadline = block.timestamp + 100;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(aliceKey, _permitDigest(alice, address(credits), 2e18, 0, deadline));
        uint256 supplyBefore = token.totalSupply();
        vm.prank(alice);
        uint256 minted = credits.mintWithPermit(alice, 2e18, 100_000, deadline, v, r, s);
        assertEq(minted, 100_000);
        assertEq(token.totalSupply(), supplyBefore - 2e18);
        assertEq(token.nonces(alice), 1);
    }

    function test_mintWithPermit_survivesAFrontRunPermit() public {
        _setPrice(PRICE);
        uint256 deadline = block.timestamp + 100;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(aliceKey, _permitDigest(alice, address(credits), 2e18, 0, deadline));
        token.permit(alice, address(credits), 2e18, deadline, v, r, s); // someone else used it first
        vm.prank(alice);
        assertEq(credits.mintWithPermit(alice, 2e18, 0, deadline, v, r, s), 100_000);
    }

    function test_mintWithPermit_revertsWithBadPermitAndNoAllowance() public {
        _setPrice(PRICE);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(credits), 0, 2e18)
        );
        vm.prank(alice);
        credits.mintWithPermit(alice, 2e18, 0, block.timestamp, 27, bytes32(0), bytes32(0));
    }

    function testFuzz_mintWithPermit_mintsForAnyAmount(uint256 tokens) public {
        tokens = _bound(tokens, 1e15, 1_000_000e18);
        _setPrice(PRICE);
        uint256 deadline = block.timestamp + 1;
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(aliceKey, _permitDigest(alice, address(credits), tokens, 0, deadline));
        uint256 supplyBefore = token.totalSupply();
        vm.prank(alice);
        uint256 minted = credits.mintWithPermit(bob, tokens, 0, deadline, v, r, s);
        assertEq(minted, tokens * PRICE / 1e21);
        assertEq(credits.balanceOf(bob), minted);
        assertEq(token.totalSupply(), supplyBefore - tokens);
    }

    // ---------------------------------------------------------------- spend

    function test_spend_debitsOwnCreditsAndEmits() public {
        _setPrice(PRICE);
        _buy(alice, 10e18);
        vm.expectEmit(true, true, false, true, address(credits));
        emit IDataCredits.CreditsSpent(alice, bytes32("coverage.assert"), bytes32(uint256(7)), 100_000);
        vm.prank(alice);
        credits.spend(100_000, bytes32("coverage.assert"), bytes32(uint256(7)));
        assertEq(credits.balanceOf(alice), 400_000);
        assertEq(credits.totalSupply(), 400_000);
        assertEq(credits.totalSpent(), 100_000);
    }

    function test_spend_revertsOnZeroOrMoreThanHeld() public {
        _setPrice(PRICE);
        _buy(alice, 10e18);
        vm.startPrank(alice);
        vm.expectRevert(IDataCredits.DataCreditsZeroAmount.selector);
        credits.spend(0, bytes32("x"), bytes32(0));
        vm.expectRevert(
            abi.encodeWithSelector(IDataCredits.DataCreditsInsufficientCredits.selector, alice, 500_000, 500_001)
        );
        credits.spend(500_001, bytes32("x"), bytes32(0));
        vm.stopPrank();
        assertEq(credits.balanceOf(alice), 500_000);
    }

    function testFuzz_spend_neverMovesCreditsToAnotherAccount(uint256 amount) public {
        _setPrice(PRICE);
        _buy(alice, 10e18);
        amount = _bound(amount, 1, 500_000);
        vm.prank(alice);
        credits.spend(amount, bytes32("fee"), bytes32(0));
        assertEq(credits.balanceOf(alice), 500_000 - amount);
        assertEq(credits.balanceOf(bob), 0);
        assertEq(credits.totalSupply(), 500_000 - amount);
        assertEq(credits.totalSpent(), amount);
    }

    // ---------------------------------------------------------------- non-transferability

    function test_credits_haveNoTransferFunctions() public {
        _setPrice(PRICE);
        _buy(alice, 10e18);
        vm.startPrank(alice);
        (bool ok1,) = address(credits).call(abi.encodeWithSignature("transfer(address,uint256)", bob, 1));
        (bool ok2,) =
            address(credits).call(abi.encodeWithSignature("transferFrom(address,address,uint256)", alice, bob, 1));
        (bool ok3,) = address(credits).call(abi.encodeWithSignature("approve(address,uint256)", bob, 1));
        vm.stopPrank();
        assertFalse(ok1, "transfer exists");
        assertFalse(ok2, "transferFrom exists");
        assertFalse(ok3, "approve exists");
        assertEq(credits.balanceOf(alice), 500_000);
        assertEq(credits.balanceOf(bob), 0);
    }

    // ---------------------------------------------------------------- settleSessions

    function test_settleSessions_debitsTheClientAndEmits() public {
        _setPrice(PRICE);
        _buy(client, 10e18); // 500,000 credits
        uint64 deadline = uint64(block.timestamp + 1 days);
        IDataCredits.SessionDebit memory d = _debit(clientKey, bytes32("s1"), 42, 10_000, deadline, 1_234);
        vm.expectEmit(true, true, true, true, address(credits));
        emit IDataCredits.SessionDebited(bytes32("s1"), client, 42, 1_234, 1_234, settlement);
        vm.prank(settlement);
        uint256 total = credits.settleSessions(_one(d));
        assertEq(total, 1_234);
        assertEq(credits.balanceOf(client), 500_000 - 1_234);
        assertEq(credits.debitedOf(client, bytes32("s1")), 1_234);
        assertEq(credits.totalSpent(), 1_234);
    }

    function test_settleSessions_isIdempotentAndPaysOnlyTheIncrease() public {
        _setPrice(PRICE);
        _buy(client, 10e18);
        uint64 deadline = uint64(block.timestamp + 1 days);
        vm.startPrank(settlement);
        credits.settleSessions(_one(_debit(clientKey, bytes32("s1"), 42, 10_000, deadline, 1_000)));
        assertEq(credits.settleSessions(_one(_debit(clientKey, bytes32("s1"), 42, 10_000, deadline, 1_000))), 0);
        assertEq(credits.settleSessions(_one(_debit(clientKey, bytes32("s1"), 42, 10_000, deadline, 900))), 0);
        assertEq(credits.settleSessions(_one(_debit(clientKey, bytes32("s1"), 42, 10_000, deadline, 1_500))), 500);
        vm.stopPrank();
        assertEq(credits.debitedOf(client, bytes32("s1")), 1_500);
        assertEq(credits.balanceOf(client), 500_000 - 1_500);
    }

    function test_settleSessions_capsAtMaxCreditsAndBalance() public {
        _setPrice(PRICE);
        _buy(client, 1e17); // 5,000 credits
        uint64 deadline = uint64(block.timestamp + 1 days);
        vm.startPrank(settlement);
        assertEq(credits.settleSessions(_one(_debit(clientKey, bytes32("a"), 1, 3_000, deadline, 9_999))), 3_000);
        assertEq(credits.settleSessions(_one(_debit(clientKey, bytes32("b"), 1, 10_000, deadline, 9_999))), 2_000);
        vm.stopPrank();
        assertEq(credits.debitedOf(client, bytes32("a")), 3_000);
        assertEq(credits.debitedOf(client, bytes32("b")), 2_000);
        assertEq(credits.balanceOf(client), 0);
    }

    function test_settleSessions_skipsExpiredAuthorizations() public {
        _setPrice(PRICE);
        _buy(client, 10e18);
        uint64 deadline = uint64(block.timestamp);
        IDataCredits.SessionDebit memory d = _debit(clientKey, bytes32("s1"), 42, 10_000, deadline, 1_000);
        vm.warp(block.timestamp + 1);
        vm.prank(settlement);
        assertEq(credits.settleSessions(_one(d)), 0);
        assertEq(credits.balanceOf(client), 500_000);
    }

    function test_settleSessions_revertsForNonSpender() public {
        IDataCredits.SessionDebit memory d = _debit(clientKey, bytes32("s1"), 42, 10_000, 2_000_000, 1);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsNotSpender.selector, bob));
        vm.prank(bob);
        credits.settleSessions(_one(d));
    }

    function test_settleSessions_revertsWhenSignatureIsNotTheClients() public {
        _setPrice(PRICE);
        _buy(client, 10e18);
        IDataCredits.SessionDebit[] memory batch = new IDataCredits.SessionDebit[](2);
        batch[0] = _debit(clientKey, bytes32("ok"), 42, 10_000, 2_000_000, 10);
        // Signed by someone else for the client's account.
        batch[1] = _debit(aliceKey, bytes32("s1"), 42, 10_000, 2_000_000, 10);
        batch[1].client = client;
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsInvalidAuthorization.selector, 1));
        vm.prank(settlement);
        credits.settleSessions(batch);
        // Signed for another provider (hotspot) than the one settled for.
        IDataCredits.SessionDebit memory moved = _debit(clientKey, bytes32("s1"), 42, 10_000, 2_000_000, 10);
        moved.provider = 43;
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsInvalidAuthorization.selector, 0));
        vm.prank(settlement);
        credits.settleSessions(_one(moved));
        // A larger cap than signed.
        IDataCredits.SessionDebit memory raised = _debit(clientKey, bytes32("s1"), 42, 10_000, 2_000_000, 10);
        raised.maxCredits = 20_000;
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsInvalidAuthorization.selector, 0));
        vm.prank(settlement);
        credits.settleSessions(_one(raised));
        assertEq(credits.balanceOf(client), 500_000);
    }

    function testFuzz_settleSessions_neverDebitsBeyondCapOrBalance(
        uint256 bought,
        uint256 maxCredits,
        uint256 first,
        uint256 second
    ) public {
        _setPrice(PRICE);
        bought = _bound(bought, 1e15, 100e18);
        uint256 balance = _buy(client, bought);
        maxCredits = _bound(maxCredits, 0, 10_000_000);
        first = _bound(first, 0, 10_000_000);
        second = _bound(second, 0, 10_000_000);
        uint64 deadline = uint64(block.timestamp + 1);
        vm.startPrank(settlement);
        credits.settleSessions(_one(_debit(clientKey, bytes32("s"), 7, maxCredits, deadline, first)));
        credits.settleSessions(_one(_debit(clientKey, bytes32("s"), 7, maxCredits, deadline, second)));
        vm.stopPrank();
        uint256 debited = credits.debitedOf(client, bytes32("s"));
        uint256 hi = first > second ? first : second;
        uint256 cap = hi < maxCredits ? hi : maxCredits;
        assertLe(debited, cap, "debited above cap");
        assertLe(debited, balance, "debited above balance");
        assertEq(debited, cap < balance ? cap : balance);
        assertEq(credits.balanceOf(client) + debited, balance);
        assertEq(credits.totalSpent(), debited);
    }

    // ---------------------------------------------------------------- owner functions and views

    function test_setSpender_isOwnerOnlyAndEmits() public {
        vm.expectEmit(true, false, false, true, address(credits));
        emit IDataCredits.SpenderSet(bob, true);
        vm.prank(governance);
        credits.setSpender(bob, true);
        assertEq(credits.isSpender(bob), true);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, bob));
        vm.prank(bob);
        credits.setSpender(bob, false);
    }

    function test_setMaxPriceAge_isOwnerOnlyAndRejectsZero() public {
        vm.expectEmit(false, false, false, true, address(credits));
        emit IDataCredits.MaxPriceAgeSet(60);
        vm.prank(governance);
        credits.setMaxPriceAge(60);
        assertEq(uint256(credits.maxPriceAge()), 60);
        vm.expectRevert(abi.encodeWithSelector(IDataCredits.DataCreditsInvalidMaxPriceAge.selector, uint64(0)));
        vm.prank(governance);
        credits.setMaxPriceAge(0);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        credits.setMaxPriceAge(10);
    }

    function test_quotes_roundTripInTheNetworksFavour() public {
        vm.expectRevert(IDataCredits.DataCreditsPriceUnset.selector);
        credits.tokensForCredits(1);
        _setPrice(PRICE);
        assertEq(credits.creditsForTokens(10e18), 500_000);
        assertEq(credits.tokensForCredits(500_000), 10e18);
        assertEq(credits.tokensForCredits(1), 2e13);
        assertEq(credits.creditsForTokens(credits.tokensForCredits(777)), 777);
    }

    function _recover(bytes32 digest, bytes memory sig) internal pure returns (address signer, bool ok) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        signer = ecrecover(digest, v, r, s);
        ok = signer != address(0);
    }

    function _signerOf(bytes memory sig, uint64 ts) internal view returns (address signer) {
        (signer,) = _recover(credits.priceUpdateDigest(PRICE, ts), sig);
    }
}
