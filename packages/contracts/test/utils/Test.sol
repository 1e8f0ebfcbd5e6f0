// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The forge cheatcodes these tests use (forge-std is not a dependency).
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;
    function cool(address target) external;
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function chainId(uint256 newChainId) external;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function signP256(uint256 privateKey, bytes32 digest) external pure returns (bytes32 r, bytes32 s);
    function publicKeyP256(uint256 privateKey) external pure returns (uint256 x, uint256 y);
    function publicKeyEd25519(bytes32 privateKey) external pure returns (bytes32 publicKey);
    function signEd25519(bytes calldata namespace, bytes calldata message, bytes32 privateKey)
        external
        pure
        returns (bytes memory signature);
    function assume(bool condition) external pure;
    function label(address account, string calldata newLabel) external;
    function toString(uint256 value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(bool value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
}

/// @notice What `targetSelectors()` returns to restrict an invariant campaign to some functions.
struct FuzzSelector {
    address addr;
    bytes4[] selectors;
}

/// @notice Minimal test base: the cheatcode handle, assertions that print both values, a bounded-fuzz helper and
///         console logging.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    address private constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function assertEq(uint256 actual, uint256 expected) internal pure {
        if (actual != expected) _fail("uint256", vm.toString(actual), vm.toString(expected), "");
    }

    function assertEq(uint256 actual, uint256 expected, string memory message) internal pure {
        if (actual != expected) _fail("uint256", vm.toString(actual), vm.toString(expected), message);
    }

    function assertEq(address actual, address expected) internal pure {
        if (actual != expected) _fail("address", vm.toString(actual), vm.toString(expected), "");
    }

    function assertEq(address actual, address expected, string memory message) internal pure {
        if (actual != expected) _fail("address", vm.toString(actual), vm.toString(expected), message);
    }

    function assertEq(bytes32 actual, bytes32 expected) internal pure {
        if (actual != expected) _fail("bytes32", vm.toString(actual), vm.toString(expected), "");
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory message) internal pure {
        if (actual != expected) _fail("bytes32", vm.toString(actual), vm.toString(expected), message);
    }

    function assertEq(bool actual, bool expected) internal pure {
        if (actual != expected) _fail("bool", vm.toString(actual), vm.toString(expected), "");
    }

    function assertEq(bytes memory actual, bytes memory expected) internal pure {
        if (keccak256(actual) != keccak256(expected)) {
            _fail("bytes", vm.toString(actual), vm.toString(expected), "");
        }
    }

    function assertEq(string memory actual, string memory expected) internal pure {
        if (keccak256(bytes(actual)) != keccak256(bytes(expected))) _fail("string", actual, expected, "");
    }

    function assertEq(uint256[] memory actual, uint256[] memory expected) internal pure {
        assertEq(actual.length, expected.length, "array length");
        for (uint256 i; i < actual.length; ++i) {
            assertEq(actual[i], expected[i], string.concat("index ", vm.toString(i)));
        }
    }

    function assertEq(address[] memory actual, address[] memory expected) internal pure {
        assertEq(actual.length, expected.length, "array length");
        for (uint256 i; i < actual.length; ++i) {
            assertEq(actual[i], expected[i], string.concat("index ", vm.toString(i)));
        }
    }

    function assertEq(bytes32[] memory actual, bytes32[] memory expected) internal pure {
        assertEq(actual.length, expected.length, "array length");
        for (uint256 i; i < actual.length; ++i) {
            assertEq(actual[i], expected[i], string.concat("index ", vm.toString(i)));
        }
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) revert(string.concat("assertTrue failed: ", message));
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) revert(string.concat("assertFalse failed: ", message));
    }

    function assertLe(uint256 a, uint256 b, string memory message) internal pure {
        if (a > b) revert(string.concat("assertLe failed: ", message, ": ", vm.toString(a), " > ", vm.toString(b)));
    }

    function assertLt(uint256 a, uint256 b, string memory message) internal pure {
        if (a >= b) revert(string.concat("assertLt failed: ", message, ": ", vm.toString(a), " >= ", vm.toString(b)));
    }

    /// @dev Maps `x` into [min, max] uniformly enough for fuzzing, keeping small inputs unchanged where possible.
    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "_bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    /// @dev Prints through forge's console (the console.log(string,uint256) ABI), shown with `-vv`.
    function _log(string memory label, uint256 value) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        ok;
    }

    function _fail(string memory kind, string memory actual, string memory expected, string memory message)
        private
        pure
    {
        revert(
            string.concat(
                "assertEq(",
                kind,
                ") failed",
                bytes(message).length == 0 ? "" : string.concat(" (", message, ")"),
                ": actual ",
                actual,
                " != expected ",
                expected
            )
        );
    }
}
