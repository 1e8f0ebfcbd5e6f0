// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @notice The gas baseline for `RewardsDistributor.claim`: the textbook cumulative Merkle claim (Uniswap
///         MerkleDistributor / OpenZeppelin style). A root set by the owner, OpenZeppelin `StandardMerkleTree` leaves
///         of (address, uint256 cumulativeAmount) checked with `MerkleProof.verifyCalldata`, a `claimed` mapping, and
///         a plain ERC-20 `transfer` out of the contract's balance. No quorum, no epochs, no funding accounting.
///         Test code only.
contract PlainMerkleClaim is Ownable {
    IERC20 public immutable token;
    bytes32 public merkleRoot;
    mapping(address account => uint256) public claimed;

    event RootSet(bytes32 root);
    event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount);

    error NothingToClaim(address account);
    error InvalidProof();
    error TransferFailed();

    constructor(IERC20 token_, address owner_) Ownable(owner_) {
        token = token_;
    }

    function setRoot(bytes32 root) external onlyOwner {
        merkleRoot = root;
        emit RootSet(root);
    }

    /// @notice Pays `account` its `cumulativeAmount` minus what it has claimed so far; anyone may call.
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        returns (uint256 paid)
    {
        uint256 already = claimed[account];
        if (cumulativeAmount <= already) revert NothingToClaim(account);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        if (!MerkleProof.verifyCalldata(proof, merkleRoot, leaf)) revert InvalidProof();
        claimed[account] = cumulativeAmount;
        paid = cumulativeAmount - already;
        emit Claimed(account, paid, cumulativeAmount);
        if (!token.transfer(account, paid)) revert TransferFailed();
    }
}

/// @notice A plain OpenZeppelin ERC-20 (no votes, no permit) for the baseline; the whole supply goes to `holder`.
contract PlainToken is ERC20 {
    constructor(address holder, uint256 supply) ERC20("Plain", "PLAIN") {
        _mint(holder, supply);
    }
}
