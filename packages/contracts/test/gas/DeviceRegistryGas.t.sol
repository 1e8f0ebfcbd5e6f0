// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DeviceRegistry} from "../../src/DeviceRegistry.sol";
import {IDeviceRegistry} from "../../src/interfaces/IDeviceRegistry.sol";
import {Test} from "../utils/Test.sol";
import {Gas} from "./Gas.sol";

/// @notice Gas of registering devices, each call against cooled storage as in a fresh transaction; the logged
///         "tx" figure adds the 21,000 base cost and calldata and drops the test's own cold-call charge. P-256 runs
///         OpenZeppelin's Solidity verifier here (the prague EVM has no P-256 precompile); on a chain with the
///         RIP-7212 / EIP-7951 precompile it costs far less. Run with `-vv` to see the figures; each test also prints
///         a `GAS <key> <value>` line (`Gas.log`) that `bench/gas.ts` collects.
contract DeviceRegistryGasTest is Test {
    uint256 internal constant P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551;
    bytes32 internal constant MODULE = "uptime";
    address internal operator = address(0x09E7);
    DeviceRegistry internal registry;

    function setUp() public {
        registry = new DeviceRegistry(address(0x60F));
    }

    function _p256(uint256 privateKey) internal view returns (IDeviceRegistry.Registration memory) {
        (uint256 x, uint256 y) = vm.publicKeyP256(privateKey);
        bytes memory publicKey = abi.encodePacked(x, y);
        bytes32 digest = registry.registrationDigest(operator, registry.deviceIdOf(2, publicKey));
        (bytes32 r, bytes32 s) = vm.signP256(privateKey, sha256(abi.encodePacked(digest)));
        if (uint256(s) > P256_N / 2) s = bytes32(P256_N - uint256(s));
        return IDeviceRegistry.Registration(2, publicKey, MODULE, 0x08a2a1072b59ffff, abi.encodePacked(r, s));
    }

    function _ed25519(bytes32 seed) internal view returns (IDeviceRegistry.Registration memory) {
        bytes memory publicKey = abi.encodePacked(vm.publicKeyEd25519(seed));
        bytes32 digest = registry.registrationDigest(operator, registry.deviceIdOf(1, publicKey));
        bytes memory signature = vm.signEd25519("", abi.encodePacked(digest), seed);
        return IDeviceRegistry.Registration(1, publicKey, MODULE, 0x08a2a1072b59ffff, signature);
    }

    function _measure(bytes memory data) internal returns (uint256) {
        vm.cool(address(registry));
        vm.prank(operator);
        return Gas.transaction(address(registry), data);
    }

    function test_gas_register_p256() public {
        uint256 transaction = _measure(abi.encodeCall(IDeviceRegistry.register, (_p256(0xD0D0))));
        _log("register P-256 (Solidity verifier): tx", transaction);
        Gas.log("registerDeviceP256", transaction);
        assertEq(registry.balanceOf(operator), 1);
    }

    function test_gas_register_ed25519() public {
        uint256 transaction = _measure(abi.encodeCall(IDeviceRegistry.register, (_ed25519(bytes32(uint256(0xED))))));
        _log("register ed25519: tx", transaction);
        Gas.log("registerDevice", transaction);
        assertEq(registry.balanceOf(operator), 1);
    }

    function test_gas_registerBatch_tenEd25519() public {
        IDeviceRegistry.Registration[] memory batch = new IDeviceRegistry.Registration[](10);
        for (uint256 i; i < 10; ++i) {
            batch[i] = _ed25519(bytes32(0xED00 + i));
        }
        uint256 transaction = _measure(abi.encodeCall(IDeviceRegistry.registerBatch, (batch)));
        _log("registerBatch 10 x ed25519: tx per device", transaction / 10);
        Gas.log("registerBatchPerDevice", transaction / 10);
        assertEq(registry.balanceOf(operator), 10);
    }
}
