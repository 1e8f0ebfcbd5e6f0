// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

import {DeviceRegistry} from "../src/DeviceRegistry.sol";
import {IDeviceRegistry} from "../src/interfaces/IDeviceRegistry.sol";
import {Ed25519} from "../src/libraries/Ed25519.sol";
import {Test} from "./utils/Test.sol";

contract DeviceRegistryTest is Test {
    uint256 internal constant P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551;
    uint64 internal constant CELL = 0x08a2a1072b59ffff; // an H3 resolution-10 cell
    uint64 internal constant OTHER_CELL = 0x0891fb466257ffff; // an H3 resolution-9 cell
    bytes32 internal constant MODULE = "uptime";

    // An ed25519 vector made with node:crypto (seed = bytes32(uint256(42)), message = sha256("groundwork ed25519
    // vector")): checks the forge ed25519 cheatcodes, which make the keys and signatures below, and the registry's
    // call shape into the Ed25519 library against an independent implementation.
    bytes32 internal constant NODE_SEED = bytes32(uint256(42));
    bytes32 internal constant NODE_PUBLIC_KEY = 0xc561fa9f643fe5c60113cce9db282fde2b9e5ca5fc6b6fc0d1679bb339c9f72f;
    bytes32 internal constant NODE_MESSAGE = 0xd1329648e37f100e9a46accc6cb114ca915c401a36b0fd3f148df5d6e78e1f7c;
    bytes internal constant NODE_SIGNATURE =
        hex"11633ee89262757d416db6858c6f95a02687ad67172cdeda4b16d294209a02c962616eaf4f6d73a568f47a1a1c49c82a291d072a7bd5612b5ff64f9d7e67f509";

    address internal governance = address(0x60F);
    address internal operator = address(0x09E7);
    address internal stranger = address(0x5742);
    DeviceRegistry internal registry;

    function setUp() public {
        registry = new DeviceRegistry(governance);
    }

    // ---------------------------------------------------------------- helpers

    function _p256PublicKey(uint256 privateKey) internal pure returns (bytes memory) {
        (uint256 x, uint256 y) = vm.publicKeyP256(privateKey);
        return abi.encodePacked(x, y);
    }

    /// @dev r || s with s normalised to the lower half, as OpenZeppelin P256 requires.
    function _signP256(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (bytes32 r, bytes32 s) = vm.signP256(privateKey, sha256(abi.encodePacked(digest)));
        if (uint256(s) > P256_N / 2) s = bytes32(P256_N - uint256(s));
        return abi.encodePacked(r, s);
    }

    function _p256Registration(uint256 privateKey, address signedFor)
        internal
        view
        returns (IDeviceRegistry.Registration memory registration)
    {
        bytes memory publicKey = _p256PublicKey(privateKey);
        uint256 deviceId = registry.deviceIdOf(2, publicKey);
        registration = IDeviceRegistry.Registration({
            keyType: 2,
            publicKey: publicKey,
            module: MODULE,
            h3Cell: CELL,
            signature: _signP256(privateKey, registry.registrationDigest(signedFor, deviceId))
        });
    }

    function _ed25519Registration(bytes32 seed, address signedFor)
        internal
        view
        returns (IDeviceRegistry.Registration memory registration)
    {
        bytes memory publicKey = abi.encodePacked(vm.publicKeyEd25519(seed));
        uint256 deviceId = registry.deviceIdOf(1, publicKey);
        bytes32 digest = registry.registrationDigest(signedFor, deviceId);
        registration = IDeviceRegistry.Registration({
            keyType: 1,
            publicKey: publicKey,
            module: MODULE,
            h3Cell: CELL,
            signature: vm.signEd25519("", abi.encodePacked(digest), seed)
        });
    }

    function _register(IDeviceRegistry.Registration memory registration) internal returns (uint256) {
        vm.prank(operator);
        return registry.register(registration);
    }

    // ---------------------------------------------------------------- constructor and pure helpers

    function test_constructor_setsNameSymbolAndOwner() public view {
        assertEq(registry.name(), "Groundwork Device");
        assertEq(registry.symbol(), "GWD");
        assertEq(registry.owner(), governance);
    }

    function test_deviceIdOf_hashesKeyTypeAndKey() public view {
        bytes memory key = abi.encodePacked(bytes32(uint256(7)));
        assertEq(registry.deviceIdOf(1, key), uint256(keccak256(abi.encodePacked(uint8(1), key))));
        assertTrue(registry.deviceIdOf(1, key) != registry.deviceIdOf(2, key), "key type is part of the id");
    }

    function test_registrationDigest_bindsChainRegistryOperatorAndNonce() public view {
        uint256 deviceId = 123;
        assertEq(
            registry.registrationDigest(operator, deviceId),
            keccak256(
                abi.encode(
                    keccak256("GroundworkDeviceRegistration"), block.chainid, address(registry), operator, uint256(0)
                )
            )
        );
        assertEq(registry.REGISTRATION_TAG(), keccak256("GroundworkDeviceRegistration"));
    }

    function test_ed25519Cheatcodes_matchNodeCrypto() public pure {
        assertEq(vm.publicKeyEd25519(NODE_SEED), NODE_PUBLIC_KEY);
        assertEq(vm.signEd25519("", abi.encodePacked(NODE_MESSAGE), NODE_SEED), NODE_SIGNATURE);
    }

    function test_ed25519Library_acceptsTheNodeVectorInTheRegistrysCallShape() public view {
        bytes memory signature = NODE_SIGNATURE;
        bytes32 r;
        bytes32 s;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
        }
        assertTrue(Ed25519.verify(NODE_PUBLIC_KEY, r, s, abi.encodePacked(NODE_MESSAGE)), "valid vector");
        assertFalse(Ed25519.verify(NODE_PUBLIC_KEY, r, s, abi.encodePacked(~NODE_MESSAGE)), "other message");
    }

    // ---------------------------------------------------------------- register: P-256

    function test_register_p256MintsTheDeviceToTheOperator() public {
        vm.warp(1_750_000_000);
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        uint256 expectedId = uint256(keccak256(abi.encodePacked(uint8(2), registration.publicKey)));

        vm.expectEmit(true, true, false, true, address(registry));
        emit IDeviceRegistry.DeviceRegistered(expectedId, operator, 2, registration.publicKey, MODULE, CELL);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IERC721.Transfer(address(0), operator, expectedId);
        uint256 deviceId = _register(registration);

        assertEq(deviceId, expectedId);
        assertEq(registry.ownerOf(deviceId), operator);
        assertEq(registry.balanceOf(operator), 1);
        assertEq(registry.keyNonce(deviceId), 1);
        IDeviceRegistry.Device memory device = registry.deviceOf(deviceId);
        assertEq(device.keyType, 2);
        assertTrue(device.active, "active");
        assertEq(device.h3Cell, CELL);
        assertEq(device.registeredAt, 1_750_000_000);
        assertEq(device.module, MODULE);
        assertEq(device.publicKey, registration.publicKey);
    }

    function test_register_p256RevertsOnASignatureForAnotherOperator() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, stranger);
        uint256 deviceId = registry.deviceIdOf(2, registration.publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, deviceId));
        _register(registration);
    }

    function test_register_p256RevertsOnAHighS() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        bytes memory signature = registration.signature;
        bytes32 r;
        bytes32 s;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
        }
        // (r, n - s) is the malleable twin of a valid signature; OpenZeppelin P256 accepts only low s.
        registration.signature = abi.encodePacked(r, bytes32(P256_N - uint256(s)));
        uint256 deviceId = registry.deviceIdOf(2, registration.publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, deviceId));
        _register(registration);
    }

    function test_register_p256RevertsOnAKeyOffTheCurve() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        registration.publicKey = abi.encodePacked(uint256(1), uint256(2));
        uint256 deviceId = registry.deviceIdOf(2, registration.publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, deviceId));
        _register(registration);
    }

    function testFuzz_register_p256AnyKey(uint256 privateKey, uint64 timestamp) public {
        privateKey = _bound(privateKey, 1, P256_N - 1);
        timestamp = uint64(_bound(timestamp, 1, type(uint64).max));
        vm.warp(timestamp);
        IDeviceRegistry.Registration memory registration = _p256Registration(privateKey, operator);
        uint256 deviceId = _register(registration);
        assertEq(registry.ownerOf(deviceId), operator);
        assertEq(registry.deviceOf(deviceId).publicKey, registration.publicKey);
        assertEq(registry.deviceOf(deviceId).registeredAt, timestamp);
    }

    // ---------------------------------------------------------------- register: ed25519

    function test_register_ed25519MintsTheDeviceToTheOperator() public {
        IDeviceRegistry.Registration memory registration = _ed25519Registration(bytes32(uint256(0xED)), operator);
        uint256 expectedId = uint256(keccak256(abi.encodePacked(uint8(1), registration.publicKey)));

        vm.expectEmit(true, true, false, true, address(registry));
        emit IDeviceRegistry.DeviceRegistered(expectedId, operator, 1, registration.publicKey, MODULE, CELL);
        uint256 deviceId = _register(registration);

        assertEq(deviceId, expectedId);
        assertEq(registry.ownerOf(deviceId), operator);
        IDeviceRegistry.Device memory device = registry.deviceOf(deviceId);
        assertEq(device.keyType, 1);
        assertEq(device.publicKey, registration.publicKey);
        assertEq(device.publicKey.length, 32);
        assertEq(registry.keyNonce(deviceId), 1);
    }

    function test_register_ed25519RevertsOnATamperedSignature() public {
        IDeviceRegistry.Registration memory registration = _ed25519Registration(bytes32(uint256(0xED)), operator);
        registration.signature[5] ^= 0x01;
        uint256 deviceId = registry.deviceIdOf(1, registration.publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, deviceId));
        _register(registration);
    }

    function test_register_ed25519RevertsOnASignatureForAnotherOperator() public {
        IDeviceRegistry.Registration memory registration = _ed25519Registration(bytes32(uint256(0xED)), stranger);
        uint256 deviceId = registry.deviceIdOf(1, registration.publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, deviceId));
        _register(registration);
    }

    function testFuzz_register_ed25519AnyKey(bytes32 seed) public {
        IDeviceRegistry.Registration memory registration = _ed25519Registration(seed, operator);
        uint256 deviceId = _register(registration);
        assertEq(registry.ownerOf(deviceId), operator);
        assertEq(registry.deviceOf(deviceId).publicKey, registration.publicKey);
    }

    // ---------------------------------------------------------------- register: shared checks

    function test_register_revertsOnAWrongSignatureLength() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        registration.signature = abi.encodePacked(registration.signature, uint8(27));
        uint256 deviceId = registry.deviceIdOf(2, registration.publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, deviceId));
        _register(registration);
    }

    function test_register_revertsOnAnUnknownKeyType() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        registration.keyType = 3;
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadKey.selector, 3, 64));
        _register(registration);
        registration.keyType = 0;
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadKey.selector, 0, 64));
        _register(registration);
    }

    function test_register_revertsOnAKeyOfTheWrongLength() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        registration.keyType = 1; // a 64-byte key claimed to be ed25519
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadKey.selector, 1, 64));
        _register(registration);

        registration.keyType = 2;
        registration.publicKey = abi.encodePacked(bytes32(uint256(1)));
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadKey.selector, 2, 32));
        _register(registration);
    }

    function test_register_revertsWhenTheKeyIsAlreadyRegistered() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        // A fresh consent (the nonce moved to 1) does not help: a key registers once.
        IDeviceRegistry.Registration memory again = _p256Registration(0xD0D0, stranger);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryAlreadyRegistered.selector, deviceId));
        vm.prank(stranger);
        registry.register(again);
    }

    function test_register_revertsForADeactivatedKey() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.prank(operator);
        registry.deactivate(deviceId);
        IDeviceRegistry.Registration memory again = _p256Registration(0xD0D0, operator);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryAlreadyRegistered.selector, deviceId));
        _register(again);
    }

    function test_register_revertsOnAnEmptyModule() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        registration.module = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadModule.selector));
        _register(registration);
    }

    function test_register_revertsOnAValueThatIsNotAnH3Cell() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        registration.h3Cell = 0x1122334455667788; // mode bits 0b0010, not a cell
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadCell.selector, registration.h3Cell));
        _register(registration);
    }

    function test_register_acceptsNoLocation() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        registration.h3Cell = 0;
        uint256 deviceId = _register(registration);
        assertEq(registry.deviceOf(deviceId).h3Cell, 0);
    }

    function test_register_rejectsAConsentSignedOnAnotherChain() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        vm.chainId(10);
        uint256 deviceId = registry.deviceIdOf(2, registration.publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, deviceId));
        _register(registration);
    }

    function test_register_rejectsAConsentForAnotherRegistry() public {
        DeviceRegistry other = new DeviceRegistry(governance);
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        uint256 deviceId = registry.deviceIdOf(2, registration.publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, deviceId));
        vm.prank(operator);
        other.register(registration);
    }

    function test_register_frontRunnerCannotTakeTheDevice() public {
        IDeviceRegistry.Registration memory registration = _p256Registration(0xD0D0, operator);
        uint256 deviceId = registry.deviceIdOf(2, registration.publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, deviceId));
        vm.prank(stranger);
        registry.register(registration);
        assertEq(_register(registration), deviceId);
    }

    // ---------------------------------------------------------------- registerBatch

    function test_registerBatch_registersEveryDevice() public {
        IDeviceRegistry.Registration[] memory batch = new IDeviceRegistry.Registration[](3);
        for (uint256 i; i < 3; ++i) {
            batch[i] = _p256Registration(0xD0D0 + i, operator);
        }
        vm.prank(operator);
        uint256[] memory ids = registry.registerBatch(batch);

        assertEq(ids.length, 3);
        for (uint256 i; i < 3; ++i) {
            assertEq(ids[i], registry.deviceIdOf(2, batch[i].publicKey));
            assertEq(registry.ownerOf(ids[i]), operator);
        }
        assertEq(registry.balanceOf(operator), 3);
    }

    function test_registerBatch_revertsAsAWholeOnOneBadEntry() public {
        IDeviceRegistry.Registration[] memory batch = new IDeviceRegistry.Registration[](2);
        batch[0] = _p256Registration(0xD0D0, operator);
        batch[1] = _p256Registration(0xD0D1, stranger);
        uint256 badId = registry.deviceIdOf(2, batch[1].publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadSignature.selector, badId));
        vm.prank(operator);
        registry.registerBatch(batch);
        assertEq(registry.balanceOf(operator), 0);
    }

    function test_registerBatch_revertsOnTheSameKeyTwice() public {
        IDeviceRegistry.Registration[] memory batch = new IDeviceRegistry.Registration[](2);
        batch[0] = _p256Registration(0xD0D0, operator);
        batch[1] = batch[0];
        uint256 deviceId = registry.deviceIdOf(2, batch[0].publicKey);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryAlreadyRegistered.selector, deviceId));
        vm.prank(operator);
        registry.registerBatch(batch);
    }

    // ---------------------------------------------------------------- deactivate

    function test_deactivate_byTheDeviceOwner() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.expectEmit(true, true, false, true, address(registry));
        emit IDeviceRegistry.DeviceDeactivated(deviceId, operator);
        vm.prank(operator);
        registry.deactivate(deviceId);
        assertFalse(registry.deviceOf(deviceId).active, "inactive");
        assertEq(registry.ownerOf(deviceId), operator);
    }

    function test_deactivate_byTheRegistryOwner() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.expectEmit(true, true, false, true, address(registry));
        emit IDeviceRegistry.DeviceDeactivated(deviceId, governance);
        vm.prank(governance);
        registry.deactivate(deviceId);
        assertFalse(registry.deviceOf(deviceId).active, "inactive");
    }

    function test_deactivate_revertsForAStranger() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryUnauthorized.selector, deviceId, stranger));
        vm.prank(stranger);
        registry.deactivate(deviceId);
    }

    function test_deactivate_revertsForAnUnknownDevice() public {
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryUnknownDevice.selector, 42));
        vm.prank(governance);
        registry.deactivate(42);
    }

    function test_deactivate_revertsWhenAlreadyInactive() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.prank(operator);
        registry.deactivate(deviceId);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryInactiveDevice.selector, deviceId));
        vm.prank(governance);
        registry.deactivate(deviceId);
    }

    // ---------------------------------------------------------------- assertLocation

    function test_assertLocation_updatesTheCell() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.expectEmit(true, false, false, true, address(registry));
        emit IDeviceRegistry.DeviceLocationAsserted(deviceId, OTHER_CELL);
        vm.prank(operator);
        registry.assertLocation(deviceId, OTHER_CELL);
        assertEq(registry.deviceOf(deviceId).h3Cell, OTHER_CELL);
    }

    function test_assertLocation_revertsForTheRegistryOwner() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.expectRevert(
            abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryUnauthorized.selector, deviceId, governance)
        );
        vm.prank(governance);
        registry.assertLocation(deviceId, OTHER_CELL);
    }

    function test_assertLocation_revertsForAnInactiveDevice() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.startPrank(operator);
        registry.deactivate(deviceId);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryInactiveDevice.selector, deviceId));
        registry.assertLocation(deviceId, OTHER_CELL);
        vm.stopPrank();
    }

    function test_assertLocation_revertsOnAValueThatIsNotAnH3Cell() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryBadCell.selector, type(uint64).max));
        vm.prank(operator);
        registry.assertLocation(deviceId, type(uint64).max);
    }

    function test_assertLocation_revertsForAnUnknownDevice() public {
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryUnknownDevice.selector, 42));
        vm.prank(operator);
        registry.assertLocation(42, CELL);
    }

    // ---------------------------------------------------------------- transfers and views

    function test_transfer_movesTheDeviceAndItsRights() public {
        uint256 deviceId = _register(_p256Registration(0xD0D0, operator));
        vm.expectEmit(true, true, true, true, address(registry));
        emit IERC721.Transfer(operator, stranger, deviceId);
        vm.prank(operator);
        registry.transferFrom(operator, stranger, deviceId);
        assertEq(registry.ownerOf(deviceId), stranger);

        vm.prank(stranger);
        registry.assertLocation(deviceId, OTHER_CELL);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryUnauthorized.selector, deviceId, operator));
        vm.prank(operator);
        registry.assertLocation(deviceId, CELL);
    }

    function test_deviceOf_revertsForAnUnknownDevice() public {
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceRegistryUnknownDevice.selector, 42));
        registry.deviceOf(42);
    }

    function test_keyNonce_isZeroBeforeRegistration() public view {
        assertEq(registry.keyNonce(registry.deviceIdOf(2, _p256PublicKey(0xD0D0))), 0);
    }
}
