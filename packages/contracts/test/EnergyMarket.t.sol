// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {EnergyMarket} from "../src/EnergyMarket.sol";
import {IEnergyMarket, IOracleQuorum} from "../src/interfaces/IEnergyMarket.sol";
import {EnergyMarketFixture} from "./utils/EnergyMarketFixture.sol";
import {Merkle} from "./utils/Merkle.sol";

contract EnergyMarketTest is EnergyMarketFixture {
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA201);
    address internal relayer = address(0x4E1A7);
    bytes32 internal constant STATEMENT = keccak256("statement");
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    event EscrowDeposited(uint64 indexed slot, address indexed account, uint256 amount);
    event SlotSettled(
        uint64 indexed slot,
        uint64 previousSlot,
        bytes32 root,
        uint256 total,
        uint256 gridDraw,
        bytes32 statementHash,
        address[] signers
    );
    event SettlementWithdrawn(
        address indexed account, uint256 amount, uint256 cumulativeAmount, address indexed caller
    );
    event EscrowReclaimed(uint64 indexed slot, address indexed account, uint256 amount);
    event GridReserveFunded(address indexed from, uint256 amount);
    event GridReserveWithdrawn(address indexed to, uint256 amount);
    event GridAccountUpdated(address previous, address account);
    event Transfer(address indexed from, address indexed to, uint256 value);

    function setUp() public {
        _deployMarket();
    }

    // ---------------------------------------------------------------- helpers

    function _pair(address a, address b) internal pure returns (address[] memory out) {
        out = new address[](2);
        (out[0], out[1]) = (a, b);
    }

    function _amounts(uint256 a, uint256 b) internal pure returns (uint256[] memory out) {
        out = new uint256[](2);
        (out[0], out[1]) = (a, b);
    }

    function _slots(uint64 a, uint64 b) internal pure returns (uint64[] memory out) {
        out = new uint64[](2);
        (out[0], out[1]) = (a, b);
    }

    /// @dev alice escrows 1000 and bob 500 for SLOT; after the slot, the first root owes alice 300, bob 900, carol 300.
    function _settledScenario()
        internal
        returns (address[] memory accounts, uint256[] memory amounts, bytes32[] memory leaves)
    {
        _deposit(alice, SLOT, 1000);
        _deposit(bob, SLOT, 500);
        _afterSlot(SLOT);
        accounts = new address[](3);
        (accounts[0], accounts[1], accounts[2]) = (alice, bob, carol);
        amounts = new uint256[](3);
        (amounts[0], amounts[1], amounts[2]) = (300, 900, 300);
        leaves = _settleTree(SLOT, accounts, amounts, 0);
    }

    // ---------------------------------------------------------------- constructor and config

    function test_constructor_setsConfigurationAndEmitsGridAccount() public {
        vm.expectEmit(false, false, false, true);
        emit GridAccountUpdated(address(0), grid);
        EnergyMarket m = new EnergyMarket(stable, IOracleQuorum(address(distributor)), governance, grid, 900, 3 days);
        assertEq(address(m.token()), address(stable));
        assertEq(address(m.oracleQuorum()), address(distributor));
        assertEq(m.owner(), governance);
        assertEq(m.gridAccount(), grid);
        assertEq(m.slotSeconds(), 900);
        assertEq(m.settlementWindow(), 3 days);
        assertEq(m.slotStart(7), 6300);
        assertEq(m.slotEnd(7), 7200);
        assertEq(
            m.SETTLEMENT_TYPEHASH(),
            keccak256(
                "SlotSettlement(uint64 slot,uint64 previousSlot,bytes32 root,uint256 total,uint256 gridDraw,bytes32 statementHash)"
            )
        );
        assertEq(uint256(m.lastSlot()), 0);
        assertEq(m.currentRoot(), bytes32(0));
    }

    function test_constructor_revertsOnZeroSlotOrWindow() public {
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketInvalidConfig.selector, 0, 3 days));
        new EnergyMarket(stable, IOracleQuorum(address(distributor)), governance, grid, 0, 3 days);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketInvalidConfig.selector, 900, 0));
        new EnergyMarket(stable, IOracleQuorum(address(distributor)), governance, grid, 900, 0);
    }

    function test_constructor_revertsOnZeroGridAccount() public {
        vm.expectRevert(IEnergyMarket.EnergyMarketInvalidGridAccount.selector);
        new EnergyMarket(stable, IOracleQuorum(address(distributor)), governance, address(0), 900, 3 days);
    }

    function test_setGridAccount_replacesTheAccountForTheOwnerOnly() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        market.setGridAccount(alice);

        vm.expectEmit(false, false, false, true, address(market));
        emit GridAccountUpdated(grid, carol);
        vm.prank(governance);
        market.setGridAccount(carol);
        assertEq(market.gridAccount(), carol);

        vm.expectRevert(IEnergyMarket.EnergyMarketInvalidGridAccount.selector);
        vm.prank(governance);
        market.setGridAccount(address(0));
    }

    function test_settlementDigest_isTheEip712DigestOfTheDocumentedType() public view {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("GroundworkEnergyMarket"),
                keccak256("1"),
                block.chainid,
                address(market)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                market.SETTLEMENT_TYPEHASH(),
                uint64(5),
                uint64(4),
                bytes32(uint256(6)),
                uint256(7),
                uint256(8),
                STATEMENT
            )
        );
        assertEq(
            market.settlementDigest(5, 4, bytes32(uint256(6)), 7, 8, STATEMENT),
            keccak256(abi.encodePacked(hex"1901", domain, structHash))
        );
    }

    // ---------------------------------------------------------------- deposits

    function test_deposit_escrowsAndBooksTheAmount() public {
        _fund(alice, 1000);
        vm.expectEmit(true, true, false, true, address(market));
        emit EscrowDeposited(SLOT, alice, 700);
        vm.prank(alice);
        market.deposit(SLOT, 700);
        assertEq(market.escrowOf(SLOT, alice), 700);
        assertEq(market.escrowed(SLOT), 700);
        assertEq(market.escrowHeld(), 700);
        assertEq(stable.balanceOf(address(market)), 700);
        assertEq(stable.balanceOf(alice), 300);
    }

    function test_deposit_revertsOnceTheSlotHasStarted() public {
        _fund(alice, 1000);
        vm.warp(market.slotStart(SLOT));
        vm.expectRevert(
            abi.encodeWithSelector(IEnergyMarket.EnergyMarketDepositClosed.selector, SLOT, market.slotStart(SLOT))
        );
        vm.prank(alice);
        market.deposit(SLOT, 1);
    }

    function test_deposit_revertsOnZero() public {
        vm.expectRevert(IEnergyMarket.EnergyMarketZeroAmount.selector);
        vm.prank(alice);
        market.deposit(SLOT, 0);
    }

    function testFuzz_deposit_booksExactlyWhatMoved(uint256 a, uint256 b, uint64 slot) public {
        slot = uint64(_bound(slot, 1, type(uint64).max / 1000));
        a = _bound(a, 1, 1e30);
        b = _bound(b, 1, 1e30);
        _deposit(alice, slot, a);
        _deposit(bob, slot, b);
        _deposit(alice, slot, b);
        assertEq(market.escrowOf(slot, alice), a + b);
        assertEq(market.escrowOf(slot, bob), b);
        assertEq(market.escrowed(slot), a + 2 * b);
        assertEq(stable.balanceOf(address(market)), a + 2 * b);
        assertEq(market.escrowHeld(), a + 2 * b);
    }

    function test_depositMany_escrowsEachSlotWithOneTransfer() public {
        _fund(alice, 1000);
        vm.expectEmit(true, true, false, true, address(market));
        emit EscrowDeposited(SLOT, alice, 100);
        vm.expectEmit(true, true, false, true, address(market));
        emit EscrowDeposited(SLOT + 1, alice, 250);
        vm.expectEmit(true, true, false, true, address(stable));
        emit Transfer(alice, address(market), 350);
        vm.prank(alice);
        market.depositMany(_slots(SLOT, SLOT + 1), _amounts(100, 250));
        assertEq(market.escrowOf(SLOT, alice), 100);
        assertEq(market.escrowOf(SLOT + 1, alice), 250);
        assertEq(market.escrowHeld(), 350);
    }

    function test_depositMany_revertsOnLengthMismatchZeroOrClosedSlot() public {
        _fund(alice, 1000);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketDepositLengthMismatch.selector, 2, 1));
        market.depositMany(_slots(SLOT, SLOT + 1), new uint256[](1));
        vm.expectRevert(IEnergyMarket.EnergyMarketZeroAmount.selector);
        market.depositMany(_slots(SLOT, SLOT + 1), _amounts(5, 0));
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketDepositClosed.selector, uint64(0), 0));
        market.depositMany(_slots(SLOT, 0), _amounts(5, 5));
        vm.stopPrank();
        assertEq(market.escrowHeld(), 0);
        assertEq(stable.balanceOf(alice), 1000);
    }

    function testFuzz_depositMany_sumsPerSlot(uint256 a, uint256 b) public {
        a = _bound(a, 1, 1e30);
        b = _bound(b, 1, 1e30);
        _fund(alice, a + b);
        vm.prank(alice);
        market.depositMany(_slots(SLOT, SLOT), _amounts(a, b));
        assertEq(market.escrowOf(SLOT, alice), a + b);
        assertEq(stable.balanceOf(address(market)), a + b);
        assertEq(stable.balanceOf(alice), 0);
    }

    // ---------------------------------------------------------------- grid reserve

    function test_fundGridReserve_addsToTheReserve() public {
        _fund(bob, 500);
        vm.expectEmit(true, false, false, true, address(market));
        emit GridReserveFunded(bob, 500);
        vm.prank(bob);
        market.fundGridReserve(500);
        assertEq(market.gridReserve(), 500);
        assertEq(stable.balanceOf(address(market)), 500);
        vm.expectRevert(IEnergyMarket.EnergyMarketZeroAmount.selector);
        market.fundGridReserve(0);
    }

    function test_withdrawGridReserve_paysTheGridAccountOnly() public {
        _fundReserve(500);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketNotGridAccount.selector, alice));
        vm.prank(alice);
        market.withdrawGridReserve(1);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketGridReserveShort.selector, 501, 500));
        vm.prank(grid);
        market.withdrawGridReserve(501);
        vm.expectRevert(IEnergyMarket.EnergyMarketZeroAmount.selector);
        vm.prank(grid);
        market.withdrawGridReserve(0);

        vm.expectEmit(true, false, false, true, address(market));
        emit GridReserveWithdrawn(grid, 200);
        vm.prank(grid);
        market.withdrawGridReserve(200);
        assertEq(market.gridReserve(), 300);
        assertEq(stable.balanceOf(grid), 200);
    }

    function testFuzz_withdrawGridReserve_neverTakesMoreThanTheReserve(uint256 funded, uint256 taken) public {
        funded = _bound(funded, 1, 1e30);
        taken = _bound(taken, 1, 2e30);
        _fundReserve(funded);
        vm.prank(grid);
        if (taken > funded) {
            vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketGridReserveShort.selector, taken, funded));
            market.withdrawGridReserve(taken);
            assertEq(market.gridReserve(), funded);
        } else {
            market.withdrawGridReserve(taken);
            assertEq(market.gridReserve(), funded - taken);
            assertEq(stable.balanceOf(grid), taken);
        }
    }

    // ---------------------------------------------------------------- settle

    function test_settle_storesTheRootAndMovesEscrowToOwed() public {
        _deposit(alice, SLOT, 1000);
        _fundReserve(100);
        _afterSlot(SLOT);
        bytes32 root = Merkle.root(Merkle.leaves(_pair(alice, bob), _amounts(600, 500)));
        bytes[] memory sigs = _signSettlement(SLOT, root, 1100, 100, STATEMENT);

        vm.expectEmit(true, false, false, true, address(market));
        emit SlotSettled(SLOT, 0, root, 1100, 100, STATEMENT, _sortedAddresses(_oracleKeys(2)));
        vm.prank(relayer);
        market.settle(SLOT, 0, root, 1100, 100, STATEMENT, sigs);

        assertEq(uint256(market.lastSlot()), uint256(SLOT));
        assertTrue(market.isSettled(SLOT), "settled");
        assertEq(market.rootOf(SLOT), root);
        assertEq(market.currentRoot(), root);
        assertEq(market.currentTotal(), 1100);
        assertEq(market.escrowHeld(), 0);
        assertEq(market.gridReserve(), 0);
        assertEq(market.owed(), 1100);
        assertEq(market.escrowed(SLOT), 1000);
        assertEq(stable.balanceOf(address(market)), 1100);
    }

    function test_settle_chainsSlotsAndGrowsTheTotalByEachSlotsEscrow() public {
        _deposit(alice, SLOT, 1000);
        _deposit(bob, SLOT + 2, 300);
        _afterSlot(SLOT + 2);
        _settleTree(SLOT, _pair(alice, bob), _amounts(400, 600), 0);
        // The second root carries cumulative amounts: bob's 600 from SLOT plus 300 from SLOT + 2.
        bytes32 root = Merkle.root(Merkle.leaves(_pair(alice, bob), _amounts(400, 900)));
        bytes[] memory sigs = _signSettlement(SLOT + 2, root, 1300, 0, STATEMENT);
        vm.expectEmit(true, false, false, true, address(market));
        emit SlotSettled(SLOT + 2, SLOT, root, 1300, 0, STATEMENT, _sortedAddresses(_oracleKeys(2)));
        market.settle(SLOT + 2, SLOT, root, 1300, 0, STATEMENT, sigs);
        assertEq(uint256(market.lastSlot()), uint256(SLOT + 2));
        assertEq(market.currentTotal(), 1300);
        assertFalse(market.isSettled(SLOT + 1), "skipped slot");
    }

    function test_settle_revertsUnlessItFollowsTheLastSettlement() public {
        _deposit(alice, SLOT, 1000);
        _deposit(alice, SLOT + 1, 1000);
        _afterSlot(SLOT + 1);
        bytes[] memory sigs = _signSettlement(SLOT, bytes32(uint256(1)), 1000, 0, STATEMENT);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketWrongPreviousSlot.selector, SLOT - 1, 0));
        market.settle(SLOT, SLOT - 1, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);
        // The same slot again, or an earlier one, cannot follow it.
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketSlotNotAfterPrevious.selector, SLOT, SLOT));
        market.settle(SLOT, SLOT, bytes32(uint256(1)), 2000, 0, STATEMENT, sigs);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketWrongPreviousSlot.selector, 0, SLOT));
        market.settle(SLOT + 1, 0, bytes32(uint256(1)), 2000, 0, STATEMENT, sigs);
    }

    function test_settle_revertsBeforeTheSlotEnds() public {
        _deposit(alice, SLOT, 1000);
        vm.warp(market.slotEnd(SLOT) - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IEnergyMarket.EnergyMarketSlotNotEnded.selector, SLOT, market.slotEnd(SLOT))
        );
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, new bytes[](0));
    }

    function test_settle_revertsAfterTheSettlementWindow() public {
        _deposit(alice, SLOT, 1000);
        uint256 deadline = market.slotEnd(SLOT) + WINDOW;
        vm.warp(deadline);
        bytes[] memory sigs = _signSettlement(SLOT, bytes32(uint256(1)), 1000, 0, STATEMENT);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketSettlementExpired.selector, SLOT, deadline));
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);
    }

    function test_settle_revertsWithNothingToSettle() public {
        _afterSlot(SLOT);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketNothingToSettle.selector, SLOT));
        market.settle(SLOT, 0, bytes32(uint256(1)), 0, 0, STATEMENT, new bytes[](0));
    }

    function test_settle_revertsOnAZeroRootEvenWithAQuorum() public {
        _deposit(alice, SLOT, 1000);
        _afterSlot(SLOT);
        bytes[] memory sigs = _signSettlement(SLOT, bytes32(0), 1000, 0, STATEMENT);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketZeroRoot.selector, SLOT));
        market.settle(SLOT, 0, bytes32(0), 1000, 0, STATEMENT, sigs);
        // Nothing moved: the slot is still open to settle, its escrow still held.
        assertEq(market.rootOf(SLOT), bytes32(0));
        assertEq(market.escrowOf(SLOT, alice), 1000);
    }

    function test_settle_revertsWhenTheTotalDoesNotGrowByEscrowPlusDraw() public {
        _deposit(alice, SLOT, 1000);
        _fundReserve(50);
        _afterSlot(SLOT);
        bytes[] memory sigs = _signSettlement(SLOT, bytes32(uint256(1)), 1049, 50, STATEMENT);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketUnbalanced.selector, 1049, 0, 1000, 50));
        market.settle(SLOT, 0, bytes32(uint256(1)), 1049, 50, STATEMENT, sigs);
        sigs = _signSettlement(SLOT, bytes32(uint256(1)), 999, 0, STATEMENT);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketUnbalanced.selector, 999, 0, 1000, 0));
        market.settle(SLOT, 0, bytes32(uint256(1)), 999, 0, STATEMENT, sigs);
    }

    function test_settle_revertsWhenTheGridReserveIsShort() public {
        _deposit(alice, SLOT, 1000);
        _fundReserve(50);
        _afterSlot(SLOT);
        bytes[] memory sigs = _signSettlement(SLOT, bytes32(uint256(1)), 1051, 51, STATEMENT);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketGridReserveShort.selector, 51, 50));
        market.settle(SLOT, 0, bytes32(uint256(1)), 1051, 51, STATEMENT, sigs);
    }

    function test_settle_revertsWithoutQuorum() public {
        _deposit(alice, SLOT, 1000);
        _afterSlot(SLOT);
        bytes[] memory one =
            _signInOrder(_oracleKeys(1), market.settlementDigest(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT));
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketQuorumNotMet.selector, 1, 2));
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, one);
    }

    function test_settle_revertsOnAnOutsiderOrUnsortedOrDuplicatedSigner() public {
        _deposit(alice, SLOT, 1000);
        _afterSlot(SLOT);
        bytes32 digest = market.settlementDigest(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT);

        uint256 outsider = 0xBADBAD;
        bytes[] memory sigs = _signInOrder(_sortByAddress(_keys(oracleKeys[0], outsider)), digest);
        // Whichever position the outsider sorts to, its signature is the one refused.
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketNotOracle.selector, vm.addr(outsider)));
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);

        uint256[] memory sorted = _sortByAddress(_oracleKeys(2));
        sigs = _signInOrder(_keys(sorted[1], sorted[0]), digest);
        vm.expectRevert(IEnergyMarket.EnergyMarketSignersNotSorted.selector);
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);

        sigs = _signInOrder(_keys(sorted[0], sorted[0]), digest);
        vm.expectRevert(IEnergyMarket.EnergyMarketSignersNotSorted.selector);
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);
    }

    function test_settle_revertsOnMalformedOrHighSSignatures() public {
        _deposit(alice, SLOT, 1000);
        _afterSlot(SLOT);
        bytes[] memory sigs = _signSettlement(SLOT, bytes32(uint256(1)), 1000, 0, STATEMENT);
        bytes memory sig = sigs[1];
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        sigs[1] = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketInvalidSignature.selector, 1));
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);
        sigs[1] = hex"1234";
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketInvalidSignature.selector, 1));
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);
    }

    function test_settle_followsTheSpinesOracleSetAndThreshold() public {
        _deposit(alice, SLOT, 1000);
        _afterSlot(SLOT);
        bytes[] memory sigs = _signSettlement(SLOT, bytes32(uint256(1)), 1000, 0, STATEMENT);
        // Governance raises the threshold to 3 on the distributor: two signatures no longer do.
        address[] memory oracles = distributor.oracles();
        vm.prank(governance);
        distributor.setOracles(oracles, 3);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketQuorumNotMet.selector, 2, 3));
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);
        // Governance replaces the first oracle: its signature stops counting at once.
        uint256[] memory sorted = _sortByAddress(_oracleKeys(2));
        address[] memory replaced = new address[](2);
        (replaced[0], replaced[1]) = (vm.addr(sorted[1]), address(0xFEED));
        vm.prank(governance);
        distributor.setOracles(replaced, 2);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketNotOracle.selector, vm.addr(sorted[0])));
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, sigs);
    }

    function test_settle_rejectsSignaturesReplayedForAnotherSlotOrChain() public {
        _deposit(alice, SLOT, 1000);
        _deposit(alice, SLOT + 1, 1000);
        _afterSlot(SLOT + 1);
        bytes[] memory forSlot = _signSettlement(SLOT, bytes32(uint256(1)), 1000, 0, STATEMENT);
        vm.expectRevert(
            _signerError(forSlot, market.settlementDigest(SLOT + 1, 0, bytes32(uint256(1)), 1000, 0, STATEMENT))
        );
        market.settle(SLOT + 1, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, forSlot);

        vm.chainId(999);
        vm.expectRevert(
            _signerError(forSlot, market.settlementDigest(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT))
        );
        market.settle(SLOT, 0, bytes32(uint256(1)), 1000, 0, STATEMENT, forSlot);
    }

    function testFuzz_settle_signaturesBindEveryField(uint256 field, uint256 noise) public {
        _deposit(alice, SLOT, 1000);
        _fundReserve(1e6);
        _afterSlot(SLOT);
        bytes32 root = bytes32(uint256(1));
        bytes[] memory sigs = _signSettlement(SLOT, root, 1010, 10, STATEMENT);
        field = field % 3;
        noise = _bound(noise, 1, 1e5);
        bytes32 root2 = field == 0 ? bytes32(uint256(root) + noise) : root;
        uint256 draw2 = field == 1 ? 10 + noise : 10;
        bytes32 statement2 = field == 2 ? bytes32(uint256(STATEMENT) ^ noise) : STATEMENT;
        vm.expectRevert(_signerError(sigs, market.settlementDigest(SLOT, 0, root2, 1000 + draw2, draw2, statement2)));
        market.settle(SLOT, 0, root2, 1000 + draw2, draw2, statement2, sigs);
    }

    function testFuzz_settle_acceptsOnlyAnExactBalance(uint256 escrow, uint256 reserve, uint256 draw, uint256 total)
        public
    {
        escrow = _bound(escrow, 1, 1e30);
        reserve = _bound(reserve, 1, 1e30);
        draw = _bound(draw, 0, reserve);
        total = _bound(total, 0, 3e30);
        _deposit(alice, SLOT, escrow);
        _fundReserve(reserve);
        _afterSlot(SLOT);
        bytes[] memory sigs = _signSettlement(SLOT, bytes32(uint256(1)), total, draw, STATEMENT);
        if (total != escrow + draw) {
            vm.expectRevert(
                abi.encodeWithSelector(IEnergyMarket.EnergyMarketUnbalanced.selector, total, 0, escrow, draw)
            );
            market.settle(SLOT, 0, bytes32(uint256(1)), total, draw, STATEMENT, sigs);
            assertEq(market.owed(), 0);
        } else {
            market.settle(SLOT, 0, bytes32(uint256(1)), total, draw, STATEMENT, sigs);
            assertEq(market.owed(), escrow + draw);
            assertEq(market.gridReserve(), reserve - draw);
        }
        assertEq(stable.balanceOf(address(market)), market.escrowHeld() + market.gridReserve() + market.owed());
    }

    // ---------------------------------------------------------------- withdraw

    function test_withdraw_paysTheLeafToTheAccountEvenWhenRelayed() public {
        (address[] memory accounts, uint256[] memory amounts, bytes32[] memory leaves) = _settledScenario();
        vm.expectEmit(true, true, false, true, address(market));
        emit SettlementWithdrawn(bob, 900, 900, relayer);
        vm.prank(relayer);
        uint256 paid = market.withdraw(accounts[1], amounts[1], Merkle.proof(leaves, 1));
        assertEq(paid, 900);
        assertEq(stable.balanceOf(bob), 900);
        assertEq(stable.balanceOf(relayer), 0);
        assertEq(market.withdrawn(bob), 900);
        assertEq(market.totalWithdrawn(), 900);
        assertEq(market.owed(), 600);
    }

    function test_withdraw_paysOnlyTheGrowthOfACumulativeAmount() public {
        (,, bytes32[] memory leaves) = _settledScenario();
        market.withdraw(bob, 900, Merkle.proof(leaves, 1));
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketNothingToWithdraw.selector, bob));
        market.withdraw(bob, 900, Merkle.proof(leaves, 1));
        // A later slot lifts bob's cumulative amount to 1,250: he is paid the 350 it grew by.
        _deposit(carol, SLOT + 8, 350);
        _afterSlot(SLOT + 8);
        address[] memory accounts = new address[](3);
        (accounts[0], accounts[1], accounts[2]) = (alice, bob, carol);
        uint256[] memory cumulative = new uint256[](3);
        (cumulative[0], cumulative[1], cumulative[2]) = (300, 1250, 300);
        bytes32[] memory next = _settleTree(SLOT + 8, accounts, cumulative, 0);
        vm.expectEmit(true, true, false, true, address(market));
        emit SettlementWithdrawn(bob, 350, 1250, address(this));
        assertEq(market.withdraw(bob, 1250, Merkle.proof(next, 1)), 350);
        assertEq(stable.balanceOf(bob), 1250);
        // A proof against the old root no longer works for more.
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketInvalidProof.selector, alice));
        market.withdraw(alice, 300, Merkle.proof(leaves, 0));
    }

    function test_withdraw_revertsOnAWrongAmountOrAccount() public {
        (,, bytes32[] memory leaves) = _settledScenario();
        bytes32[] memory proof = Merkle.proof(leaves, 0);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketInvalidProof.selector, alice));
        market.withdraw(alice, 301, proof);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketInvalidProof.selector, carol));
        market.withdraw(carol, 301, proof);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketNothingToWithdraw.selector, alice));
        market.withdraw(alice, 0, proof);
        assertEq(market.owed(), 1500);
    }

    function test_withdraw_neverPaysBeyondTheTotal() public {
        // The oracles sign a total of 1000 for leaves that sum to 1500: the last withdrawal cannot be paid.
        _deposit(alice, SLOT, 1000);
        _afterSlot(SLOT);
        bytes32[] memory leaves = Merkle.leaves(_pair(alice, bob), _amounts(800, 700));
        bytes32 root = Merkle.root(leaves);
        market.settle(SLOT, 0, root, 1000, 0, STATEMENT, _signSettlement(SLOT, root, 1000, 0, STATEMENT));
        market.withdraw(alice, 800, Merkle.proof(leaves, 0));
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketPayoutExceedsTotal.selector, 1500, 1000));
        market.withdraw(bob, 700, Merkle.proof(leaves, 1));
    }

    function testFuzz_withdraw_paysEachLeafOnceAndBalancesToZero(uint256 a, uint256 b, uint256 c) public {
        a = _bound(a, 1, 1e30);
        b = _bound(b, 1, 1e30);
        c = _bound(c, 1, 1e30);
        _deposit(alice, SLOT, a + b);
        _fundReserve(c);
        _afterSlot(SLOT);
        address[] memory accounts = new address[](3);
        (accounts[0], accounts[1], accounts[2]) = (alice, bob, grid);
        uint256[] memory amounts = new uint256[](3);
        (amounts[0], amounts[1], amounts[2]) = (a, b, c);
        bytes32[] memory leaves = _settleTree(SLOT, accounts, amounts, c);
        for (uint256 i; i < 3; ++i) {
            market.withdraw(accounts[i], amounts[i], Merkle.proof(leaves, i));
        }
        assertEq(stable.balanceOf(alice), a);
        assertEq(stable.balanceOf(bob), b);
        assertEq(stable.balanceOf(grid), c);
        assertEq(stable.balanceOf(address(market)), 0);
        assertEq(market.owed(), 0);
    }

    function test_withdrawMany_paysEveryPartyAndSkipsWhatWasPaid() public {
        (address[] memory accounts, uint256[] memory amounts, bytes32[] memory leaves) = _settledScenario();
        market.withdraw(bob, 900, Merkle.proof(leaves, 1));
        bytes32[][] memory proofs = new bytes32[][](3);
        for (uint256 i; i < 3; ++i) {
            proofs[i] = Merkle.proof(leaves, i);
        }
        vm.expectEmit(true, true, false, true, address(stable));
        emit Transfer(address(market), alice, 300);
        vm.expectEmit(true, true, false, true, address(stable));
        emit Transfer(address(market), carol, 300);
        vm.prank(relayer);
        uint256 paid = market.withdrawMany(accounts, amounts, proofs);
        assertEq(paid, 600);
        assertEq(stable.balanceOf(alice), 300);
        assertEq(stable.balanceOf(bob), 900);
        assertEq(stable.balanceOf(carol), 300);
        assertEq(market.owed(), 0);
        assertEq(market.withdrawMany(accounts, amounts, proofs), 0);
    }

    function test_withdrawMany_revertsOnLengthMismatchOrABadEntry() public {
        (,, bytes32[] memory leaves) = _settledScenario();
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketWithdrawLengthMismatch.selector, 1, 2, 2));
        market.withdrawMany(new address[](1), new uint256[](2), new bytes32[][](2));

        bytes32[][] memory proofs = new bytes32[][](2);
        (proofs[0], proofs[1]) = (Merkle.proof(leaves, 0), Merkle.proof(leaves, 1));
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketInvalidProof.selector, bob));
        market.withdrawMany(_pair(alice, bob), _amounts(300, 901), proofs);
        assertEq(stable.balanceOf(alice), 0);
        assertEq(market.withdrawn(alice), 0);
    }

    function testFuzz_withdrawMany_paysExactlyTheLeaves(uint256 a, uint256 b) public {
        a = _bound(a, 1, 1e30);
        b = _bound(b, 1, 1e30);
        _deposit(carol, SLOT, a + b);
        _afterSlot(SLOT);
        bytes32[] memory leaves = _settleTree(SLOT, _pair(alice, bob), _amounts(a, b), 0);
        bytes32[][] memory proofs = new bytes32[][](2);
        (proofs[0], proofs[1]) = (Merkle.proof(leaves, 0), Merkle.proof(leaves, 1));
        uint256 paid = market.withdrawMany(_pair(alice, bob), _amounts(a, b), proofs);
        assertEq(paid, a + b);
        assertEq(stable.balanceOf(alice), a);
        assertEq(stable.balanceOf(bob), b);
        assertEq(stable.balanceOf(address(market)), 0);
        assertEq(market.withdrawMany(_pair(alice, bob), _amounts(a, b), proofs), 0);
    }

    // ---------------------------------------------------------------- reclaim

    function test_reclaim_returnsEscrowOfAnUnsettledSlotAfterTheWindow() public {
        _deposit(alice, SLOT, 1000);
        uint256 opensAt = market.slotEnd(SLOT) + WINDOW;
        vm.warp(opensAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketReclaimNotOpen.selector, SLOT, opensAt));
        vm.prank(alice);
        market.reclaim(SLOT);

        vm.warp(opensAt);
        vm.expectEmit(true, true, false, true, address(market));
        emit EscrowReclaimed(SLOT, alice, 1000);
        vm.prank(alice);
        market.reclaim(SLOT);
        assertEq(stable.balanceOf(alice), 1000);
        assertEq(market.escrowOf(SLOT, alice), 0);
        assertEq(market.escrowed(SLOT), 0);
        assertEq(market.escrowHeld(), 0);

        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketNothingToReclaim.selector, SLOT, alice));
        vm.prank(alice);
        market.reclaim(SLOT);
    }

    function test_reclaim_opensAtOnceForASlotPassedOverBySettlement() public {
        _deposit(alice, SLOT, 1000);
        _deposit(bob, SLOT + 1, 500);
        _afterSlot(SLOT + 1);
        _settleTree(SLOT + 1, _pair(alice, bob), _amounts(0, 500), 0);
        // SLOT can never be settled now: alice takes her escrow back without waiting for the window.
        vm.prank(alice);
        market.reclaim(SLOT);
        assertEq(stable.balanceOf(alice), 1000);
        assertEq(stable.balanceOf(address(market)), market.escrowHeld() + market.gridReserve() + market.owed());
    }

    function test_reclaim_revertsForASettledSlot() public {
        _settledScenario();
        vm.warp(market.slotEnd(SLOT) + WINDOW);
        vm.expectRevert(abi.encodeWithSelector(IEnergyMarket.EnergyMarketNothingToReclaim.selector, SLOT, alice));
        vm.prank(alice);
        market.reclaim(SLOT);
    }

    function testFuzz_reclaim_returnsExactlyTheDeposits(uint256 a, uint256 b) public {
        a = _bound(a, 1, 1e30);
        b = _bound(b, 1, 1e30);
        _deposit(alice, SLOT, a);
        _deposit(bob, SLOT, b);
        vm.warp(market.slotEnd(SLOT) + WINDOW);
        vm.prank(alice);
        market.reclaim(SLOT);
        assertEq(stable.balanceOf(alice), a);
        assertEq(market.escrowed(SLOT), b);
        assertEq(stable.balanceOf(address(market)), b);
        assertEq(market.escrowHeld(), b);
    }

    // ---------------------------------------------------------------- utilities

    /// @dev The error `settle` must raise for `signatures` over `digest`: order first, then oracle membership.
    function _signerError(bytes[] memory signatures, bytes32 digest) internal view returns (bytes memory) {
        address previous;
        for (uint256 i; i < signatures.length; ++i) {
            bytes memory sig = signatures[i];
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                r := mload(add(sig, 0x20))
                s := mload(add(sig, 0x40))
                v := byte(0, mload(add(sig, 0x60)))
            }
            address signer = ecrecover(digest, v, r, s);
            if (signer <= previous) return abi.encodeWithSelector(IEnergyMarket.EnergyMarketSignersNotSorted.selector);
            if (!distributor.isOracle(signer)) {
                return abi.encodeWithSelector(IEnergyMarket.EnergyMarketNotOracle.selector, signer);
            }
            previous = signer;
        }
        revert("signatures would pass");
    }
}
