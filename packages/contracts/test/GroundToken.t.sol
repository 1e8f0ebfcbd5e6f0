// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

import {GroundToken} from "../src/GroundToken.sol";
import {IGroundToken} from "../src/interfaces/IGroundToken.sol";
import {Test} from "./utils/Test.sol";

contract GroundTokenTest is Test {
    uint256 internal constant CAP = 1_000_000_000e18;
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    address internal governance = address(0x60F);
    address internal minter = address(0x5C4ED);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    GroundToken internal token;

    function setUp() public {
        token = new GroundToken(CAP, governance);
        vm.prank(governance);
        token.setMinter(minter);
    }

    // ---------------------------------------------------------------- constructor

    function test_constructor_setsMetadataCapAndOwner() public {
        GroundToken fresh = new GroundToken(CAP, governance);
        assertEq(fresh.name(), "Groundwork");
        assertEq(fresh.symbol(), "GRND");
        assertEq(fresh.decimals(), 18);
        assertEq(fresh.cap(), CAP);
        assertEq(fresh.owner(), governance);
        assertEq(fresh.minter(), address(0));
        assertEq(fresh.totalSupply(), 0);
    }

    function test_constructor_revertsOnZeroCap() public {
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenInvalidCap.selector, 0));
        new GroundToken(0, governance);
    }

    function test_constructor_revertsOnCapAboveVotesLimit() public {
        uint256 tooBig = uint256(type(uint208).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenInvalidCap.selector, tooBig));
        new GroundToken(tooBig, governance);
    }

    function test_constructor_acceptsCapAtVotesLimit() public {
        GroundToken fresh = new GroundToken(type(uint208).max, governance);
        assertEq(fresh.cap(), type(uint208).max);
    }

    // ---------------------------------------------------------------- setMinter

    function test_setMinter_setsMinterAndEmits() public {
        GroundToken fresh = new GroundToken(CAP, governance);
        vm.expectEmit(false, false, false, true, address(fresh));
        emit IGroundToken.MinterSet(minter);
        vm.prank(governance);
        fresh.setMinter(minter);
        assertEq(fresh.minter(), minter);
    }

    function test_setMinter_revertsWhenAlreadySet() public {
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenMinterAlreadySet.selector));
        vm.prank(governance);
        token.setMinter(alice);
        assertEq(token.minter(), minter);
    }

    function test_setMinter_revertsForNonOwner() public {
        GroundToken fresh = new GroundToken(CAP, governance);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        fresh.setMinter(alice);
    }

    function test_setMinter_revertsOnZeroAddress() public {
        GroundToken fresh = new GroundToken(CAP, governance);
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenInvalidMinter.selector, address(0)));
        vm.prank(governance);
        fresh.setMinter(address(0));
    }

    // ---------------------------------------------------------------- mint

    function test_mint_creditsRecipientAndEmitsTransfer() public {
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(address(0), alice, 123e18);
        vm.prank(minter);
        token.mint(alice, 123e18);
        assertEq(token.balanceOf(alice), 123e18);
        assertEq(token.totalSupply(), 123e18);
    }

    function test_mint_revertsForNonMinter() public {
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenNotMinter.selector, governance));
        vm.prank(governance);
        token.mint(alice, 1);
    }

    function test_mint_allowsExactlyTheCap() public {
        vm.prank(minter);
        token.mint(alice, CAP);
        assertEq(token.totalSupply(), CAP);
    }

    function test_mint_revertsOneAboveTheCap() public {
        vm.startPrank(minter);
        token.mint(alice, CAP - 10);
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenCapExceeded.selector, CAP + 1, CAP));
        token.mint(alice, 11);
        vm.stopPrank();
        assertEq(token.totalSupply(), CAP - 10);
    }

    function test_mint_saturatesSupplyAfterInErrorOnOverflow() public {
        vm.startPrank(minter);
        token.mint(alice, 5);
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenCapExceeded.selector, type(uint256).max, CAP));
        token.mint(alice, type(uint256).max);
        vm.stopPrank();
    }

    function testFuzz_mint_creditsAnyAmountUpToCap(address to, uint256 first, uint256 second) public {
        vm.assume(to != address(0));
        first = _bound(first, 0, CAP);
        second = _bound(second, 0, CAP - first);
        vm.startPrank(minter);
        token.mint(to, first);
        token.mint(to, second);
        vm.stopPrank();
        assertEq(token.balanceOf(to), first + second);
        assertEq(token.totalSupply(), first + second);
    }

    function testFuzz_mint_revertsPastCap(uint256 minted, uint256 amount) public {
        minted = _bound(minted, 0, CAP);
        amount = _bound(amount, CAP - minted + 1, type(uint256).max - minted);
        vm.startPrank(minter);
        token.mint(alice, minted);
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenCapExceeded.selector, minted + amount, CAP));
        token.mint(alice, amount);
        vm.stopPrank();
        assertEq(token.totalSupply(), minted);
    }

    // ---------------------------------------------------------------- burn

    function test_burn_removesFromSupplyAndFreesRoomUnderCap() public {
        vm.prank(minter);
        token.mint(alice, CAP);
        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Transfer(alice, address(0), 400e18);
        vm.prank(alice);
        token.burn(400e18);
        assertEq(token.totalSupply(), CAP - 400e18);
        assertEq(token.balanceOf(alice), CAP - 400e18);

        vm.prank(minter);
        token.mint(bob, 400e18);
        assertEq(token.totalSupply(), CAP);
    }

    function test_burn_revertsAboveBalance() public {
        vm.prank(minter);
        token.mint(alice, 10);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 10, 11));
        vm.prank(alice);
        token.burn(11);
    }

    function test_burnFrom_spendsAllowance() public {
        vm.prank(minter);
        token.mint(alice, 100);
        vm.prank(alice);
        token.approve(bob, 60);
        vm.prank(bob);
        token.burnFrom(alice, 40);
        assertEq(token.balanceOf(alice), 60);
        assertEq(token.allowance(alice, bob), 20);
        assertEq(token.totalSupply(), 60);

        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, bob, 20, 21));
        vm.prank(bob);
        token.burnFrom(alice, 21);
    }

    function testFuzz_burn_thenMintBackToCap(uint256 minted, uint256 burned) public {
        minted = _bound(minted, 0, CAP);
        burned = _bound(burned, 0, minted);
        vm.prank(minter);
        token.mint(alice, minted);
        vm.prank(alice);
        token.burn(burned);
        assertEq(token.totalSupply(), minted - burned);
        assertEq(token.balanceOf(alice), minted - burned);

        uint256 room = CAP - (minted - burned);
        vm.startPrank(minter);
        token.mint(bob, room);
        vm.expectRevert(abi.encodeWithSelector(IGroundToken.GroundTokenCapExceeded.selector, CAP + 1, CAP));
        token.mint(bob, 1);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- permit

    function test_permit_setsAllowanceAndConsumesNonce() public {
        uint256 ownerKey = 0xA11CE;
        address owner = vm.addr(ownerKey);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, _permitDigest(owner, bob, 500e18, 0, deadline));

        vm.expectEmit(true, true, false, true, address(token));
        emit IERC20.Approval(owner, bob, 500e18);
        token.permit(owner, bob, 500e18, deadline, v, r, s);
        assertEq(token.allowance(owner, bob), 500e18);
        assertEq(token.nonces(owner), 1);
    }

    function test_permit_revertsOnReplay() public {
        uint256 ownerKey = 0xA11CE;
        address owner = vm.addr(ownerKey);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = _permitDigest(owner, bob, 500e18, 0, deadline);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, digest);
        token.permit(owner, bob, 500e18, deadline, v, r, s);

        // The nonce is now 1, so the same signature recovers to some other address.
        address recovered = ecrecover(_permitDigest(owner, bob, 500e18, 1, deadline), v, r, s);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, recovered, owner));
        token.permit(owner, bob, 500e18, deadline, v, r, s);
    }

    function test_permit_revertsAfterDeadline() public {
        uint256 ownerKey = 0xA11CE;
        address owner = vm.addr(ownerKey);
        vm.warp(1_000_000);
        uint256 deadline = block.timestamp - 1;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, _permitDigest(owner, bob, 1, 0, deadline));
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(owner, bob, 1, deadline, v, r, s);
    }

    function testFuzz_permit_thenTransferFrom(uint256 ownerKey, uint256 value, uint256 spent, uint256 deadline) public {
        ownerKey = _bound(ownerKey, 1, 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632550);
        value = _bound(value, 0, CAP);
        spent = _bound(spent, 0, value);
        deadline = _bound(deadline, block.timestamp, type(uint256).max);
        address owner = vm.addr(ownerKey);
        vm.assume(owner != bob);
        vm.prank(minter);
        token.mint(owner, value);

        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, _permitDigest(owner, bob, value, 0, deadline));
        token.permit(owner, bob, value, deadline, v, r, s);
        vm.prank(bob);
        assertTrue(token.transferFrom(owner, bob, spent), "transferFrom");

        assertEq(token.balanceOf(bob), spent);
        assertEq(token.balanceOf(owner), value - spent);
        assertEq(token.allowance(owner, bob), value - spent);
        assertEq(token.nonces(owner), 1);
    }

    // ---------------------------------------------------------------- votes

    function test_delegate_tracksVotesThroughTransfers() public {
        vm.prank(minter);
        token.mint(alice, 100e18);
        vm.prank(alice);
        token.delegate(alice);
        assertEq(token.getVotes(alice), 100e18);

        vm.prank(alice);
        assertTrue(token.transfer(bob, 30e18), "transfer");
        assertEq(token.getVotes(alice), 70e18);
        assertEq(token.getVotes(bob), 0);

        vm.prank(bob);
        token.delegate(alice);
        assertEq(token.getVotes(alice), 100e18);
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
