// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// STUB — replaced by the real implementation
library Ed25519 {
    function verify(bytes32, bytes32, bytes32, bytes memory) internal view returns (bool) {
        // Always false; touches `address(this)` only so that `view` matches the real signature.
        return address(this).code.length == type(uint256).max;
    }
}
