// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {ParameterRegistry} from "../src/ParameterRegistry.sol";
import {IParameterRegistry} from "../src/interfaces/IParameterRegistry.sol";
import {Test} from "./utils/Test.sol";

contract ParameterRegistryTest is Test {
    bytes32 internal constant EPOCH_SECONDS = "epoch.seconds";
    bytes32 internal constant WEIGHT = "module.uptime.weight";

    address internal governance = address(0x60F);
    ParameterRegistry internal registry;

    function setUp() public {
        registry = new ParameterRegistry(governance);
    }

    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](2);
        (out[0], out[1]) = (a, b);
    }

    function _pair(uint256 a, uint256 b) internal pure returns (uint256[] memory out) {
        out = new uint256[](2);
        (out[0], out[1]) = (a, b);
    }

    function test_constructor_setsOwnerAndStartsEmpty() public view {
        assertEq(registry.owner(), governance);
        assertEq(registry.keys().length, 0);
        assertFalse(registry.has(EPOCH_SECONDS), "unknown key");
    }

    function test_set_storesTheValueAndEmits() public {
        vm.expectEmit(true, false, false, true, address(registry));
        emit IParameterRegistry.ParameterSet(EPOCH_SECONDS, 0, 3_600);
        vm.prank(governance);
        registry.set(EPOCH_SECONDS, 3_600);
        assertEq(registry.get(EPOCH_SECONDS), 3_600);
        assertTrue(registry.has(EPOCH_SECONDS), "known key");
    }

    function test_set_reportsThePreviousValue() public {
        vm.startPrank(governance);
        registry.set(EPOCH_SECONDS, 3_600);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IParameterRegistry.ParameterSet(EPOCH_SECONDS, 3_600, 900);
        registry.set(EPOCH_SECONDS, 900);
        vm.stopPrank();
        assertEq(registry.get(EPOCH_SECONDS), 900);
        assertEq(registry.keys().length, 1);
    }

    function test_set_keepsAZeroValueKnown() public {
        vm.prank(governance);
        registry.set(WEIGHT, 0);
        assertTrue(registry.has(WEIGHT), "known key");
        assertEq(registry.get(WEIGHT), 0);
    }

    function test_set_revertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        registry.set(EPOCH_SECONDS, 1);
    }

    function test_set_revertsOnTheEmptyKey() public {
        vm.expectRevert(abi.encodeWithSelector(IParameterRegistry.ParameterRegistryInvalidKey.selector, bytes32(0)));
        vm.prank(governance);
        registry.set(bytes32(0), 1);
    }

    function test_setMany_setsInOrderAndEmitsPerKey() public {
        vm.expectEmit(true, false, false, true, address(registry));
        emit IParameterRegistry.ParameterSet(EPOCH_SECONDS, 0, 3_600);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IParameterRegistry.ParameterSet(WEIGHT, 0, 7_000);
        vm.prank(governance);
        registry.setMany(_pair(EPOCH_SECONDS, WEIGHT), _pair(3_600, 7_000));
        assertEq(registry.getMany(_pair(EPOCH_SECONDS, WEIGHT)), _pair(3_600, 7_000));
        assertEq(registry.keys(), _pair(EPOCH_SECONDS, WEIGHT));
    }

    function test_setMany_appliesARepeatedKeyInOrder() public {
        vm.expectEmit(true, false, false, true, address(registry));
        emit IParameterRegistry.ParameterSet(WEIGHT, 0, 1);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IParameterRegistry.ParameterSet(WEIGHT, 1, 2);
        vm.prank(governance);
        registry.setMany(_pair(WEIGHT, WEIGHT), _pair(1, 2));
        assertEq(registry.get(WEIGHT), 2);
        assertEq(registry.keys().length, 1);
    }

    function test_setMany_revertsOnLengthMismatch() public {
        vm.expectRevert(abi.encodeWithSelector(IParameterRegistry.ParameterRegistryLengthMismatch.selector, 2, 1));
        vm.prank(governance);
        registry.setMany(_pair(EPOCH_SECONDS, WEIGHT), new uint256[](1));
    }

    function test_setMany_revertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        registry.setMany(_pair(EPOCH_SECONDS, WEIGHT), _pair(1, 2));
    }

    function test_get_revertsOnAnUnknownKey() public {
        vm.expectRevert(abi.encodeWithSelector(IParameterRegistry.ParameterRegistryUnknownKey.selector, WEIGHT));
        registry.get(WEIGHT);
    }

    function test_getMany_revertsOnTheFirstUnknownKey() public {
        vm.prank(governance);
        registry.set(EPOCH_SECONDS, 3_600);
        vm.expectRevert(abi.encodeWithSelector(IParameterRegistry.ParameterRegistryUnknownKey.selector, WEIGHT));
        registry.getMany(_pair(EPOCH_SECONDS, WEIGHT));
    }

    function test_keys_enumerateInFirstSetOrder() public {
        vm.startPrank(governance);
        registry.set(WEIGHT, 1);
        registry.set(EPOCH_SECONDS, 2);
        registry.set(WEIGHT, 3);
        vm.stopPrank();
        assertEq(registry.keys(), _pair(WEIGHT, EPOCH_SECONDS));
    }

    function testFuzz_set_roundTrips(bytes32 key, uint256 first, uint256 second) public {
        vm.assume(key != bytes32(0));
        vm.startPrank(governance);
        registry.set(key, first);
        vm.expectEmit(true, false, false, true, address(registry));
        emit IParameterRegistry.ParameterSet(key, first, second);
        registry.set(key, second);
        vm.stopPrank();
        assertEq(registry.get(key), second);
        assertEq(registry.keys().length, 1);
    }
}
