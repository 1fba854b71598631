// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IExtensionRegistry} from "./IExtensionRegistry.sol";

/// Staking, slot-leader election, fees, batch settlement of PostOps and slashing for eFaaS middle
/// nodes. contracts/README.md specifies the election rule and the EIP-712 types; the node
/// implements the same rule off-chain.
contract ConsensusContract {
    // ----------------------------------------------------------------------------------- types

    enum Verdict {
        None, // never signed; 0 so that an unset field can never count as VALID
        Valid,
        Invalid,
        Error
    }

    /// A user's Operation plus the user's signature over its EIP-712 hash.
    struct Operation {
        bytes32 extensionId;
        address to;
        uint256 gas;
        bytes gasManagementData; // abi.encode(uint256 maxFee, ...): the first word is the max fee in wei
        bytes data;
        bytes32 blockHash;
        bytes sig; // 65 bytes r || s || v by the paying user
    }

    struct PostOp {
        bytes32 operationHash;
        bytes32 extensionId;
        bytes proof;
        bytes data;
        bytes32 processedBlockHash;
    }

    /// A signed ProofVerificationResponse. `diagnosticsHash` is keccak256 of the UTF-8
    /// diagnostics string, as EIP-712 hashes a `string` member.
    struct SignedVerdict {
        bytes32 requestId; // the EIP-712 hash of the PostOp under verification
        address responderNodeId; // the signing node's address
        Verdict verdict;
        bytes32 diagnosticsHash;
        uint64 timestamp;
        bytes signature; // 65 bytes r || s || v
    }

    /// One entry of a batch: the Operation, its PostOp, the fee charged (<= the Operation's max
    /// fee) and the quorum of VALID verdicts, signers in strictly increasing address order.
    /// Proofs the chain does not check (Universal mode: STARKs of 100+ KiB) stay off-chain: with
    /// postOp.proof empty, proofHash stands for keccak256(proof) in the PostOp hash. With
    /// postOp.proof non-empty, proofHash is ignored.
    struct Settlement {
        Operation op;
        PostOp postOp;
        bytes32 proofHash;
        uint256 fee;
        SignedVerdict[] verdicts;
    }

    struct Node {
        uint256 stake; // active stake
        uint256 pendingUnstake; // requested, still slashable until withdrawn
        uint64 unlockTime; // when pendingUnstake may be withdrawn
    }

    // ------------------------------------------------------------------------- EIP-712 constants

    bytes32 public constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 public constant OPERATION_TYPEHASH = keccak256(
        "Operation(bytes32 extensionId,address to,uint256 gas,bytes gasManagementData,bytes data,bytes32 blockHash)"
    );
    bytes32 public constant POSTOP_TYPEHASH = keccak256(
        "PostOp(bytes32 operationHash,bytes32 extensionId,bytes proof,bytes data,bytes32 processedBlockHash)"
    );
    bytes32 public constant VERDICT_TYPEHASH = keccak256(
        "ProofVerificationResponse(bytes32 requestId,address responderNodeId,uint8 verdict,string diagnostics,uint64 timestamp)"
    );
    string public constant NAME = "eFaaS";
    string public constant VERSION = "1";

    uint256 private constant BPS = 10_000;
    // secp256k1 n / 2: signatures with a higher s are malleated copies (EIP-2).
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 public constant MAX_PUBLIC_SIGNALS = 64;

    // --------------------------------------------------------------------------- configuration

    IExtensionRegistry public immutable registry;
    uint256 public immutable minStake;
    uint256 public immutable unstakeDelay; // seconds
    uint256 public immutable slotBlocks; // blocks per slot
    uint256 public immutable genesisBlock; // slot 0 starts here
    uint256 public immutable quorum; // distinct VALID verdicts needed per PostOp
    uint256 public immutable verifierShareBps; // part of each fee shared by the counted verifiers
    uint256 public immutable slashBps; // part of a node's stake taken by a slash
    uint256 public immutable reporterShareBps; // part of a slash paid to the reporter
    bytes32 private immutable domainSeparator_;
    uint256 private immutable chainId_;

    // ------------------------------------------------------------------------------------ state

    mapping(address => Node) private nodes_;
    address[] private active_;
    mapping(address => uint256) private activeIndex_; // 1-based position in active_
    mapping(address => uint256) public deposits;
    mapping(address => uint256) public rewards;
    mapping(bytes32 => bool) public settled; // by Operation hash
    mapping(bytes32 => bool) public evidenceUsed;
    uint256 public totalBurned;
    uint256 private locked_ = 1;

    // ----------------------------------------------------------------------------------- events

    event Staked(address indexed node, uint256 amount, uint256 stake);
    event UnstakeRequested(address indexed node, uint256 amount, uint256 unlockTime);
    event Withdrawn(address indexed node, uint256 amount);
    event NodeActivated(address indexed node);
    event NodeDeactivated(address indexed node);
    event Deposited(address indexed user, address indexed from, uint256 amount);
    event DepositWithdrawn(address indexed user, uint256 amount);
    event RewardsClaimed(address indexed account, uint256 amount);
    event PostOpSettled(
        bytes32 indexed operationHash, bytes32 indexed postOpHash, bytes32 indexed extensionId, address payer, uint256 fee
    );
    event BatchSettled(uint256 indexed slot, address indexed leader, uint256 count, uint256 totalFees);
    event Slashed(address indexed node, address indexed reporter, bytes32 indexed evidence, uint256 amount, uint256 reward);

    // ----------------------------------------------------------------------------------- errors

    error BadConfig(string reason);
    error ZeroAmount();
    error StakeBelowMinimum(uint256 stake, uint256 minStake);
    error InsufficientStake(uint256 requested, uint256 stake);
    error NothingToWithdraw();
    error WithdrawalLocked(uint256 unlockTime, uint256 nowTime);
    error InsufficientBalance(uint256 requested, uint256 available);
    error TransferFailed();
    error Reentrancy();
    error EmptyBatch();
    error NoActiveNodes();
    error WrongSlot(uint256 given, uint256 current);
    error NotLeader(uint256 slot, address leader, address caller);
    error AlreadySettled(uint256 index, bytes32 operationHash);
    error ExtensionMismatch(uint256 index, bytes32 operationExtension, bytes32 postOpExtension);
    error OperationHashMismatch(uint256 index, bytes32 expected, bytes32 given);
    error UnknownExtension(uint256 index, bytes32 extensionId);
    error ExtensionIsDeprecated(uint256 index, bytes32 extensionId);
    error BadOperationSignature(uint256 index);
    error BadGasManagementData(uint256 index);
    error FeeAboveMax(uint256 index, uint256 fee, uint256 maxFee);
    error InsufficientDeposit(uint256 index, address payer, uint256 needed, uint256 available);
    error QuorumNotMet(uint256 index, uint256 got, uint256 needed);
    error BadVerdictSignature(uint256 index, uint256 verdictIndex);
    error VerdictNotValidForPostOp(uint256 index, uint256 verdictIndex);
    error SignersNotStrictlyIncreasing(uint256 index, uint256 verdictIndex);
    error NotStakedNode(uint256 index, uint256 verdictIndex, address node);
    error ProofRejected(uint256 index);
    error BadSignature();
    error NotConflicting();
    error NotOnChainVerifiable(bytes32 extensionId);
    error ProofIsValid();
    error NotValidVerdict();
    error WrongRequestId(bytes32 expected, bytes32 given);
    error EvidenceAlreadyUsed(bytes32 evidence);
    error NothingToSlash(address node);

    modifier nonReentrant() {
        if (locked_ != 1) revert Reentrancy();
        locked_ = 2;
        _;
        locked_ = 1;
    }

    constructor(
        IExtensionRegistry registry_,
        uint256 minStake_,
        uint256 unstakeDelay_,
        uint256 slotBlocks_,
        uint256 quorum_,
        uint256 verifierShareBps_,
        uint256 slashBps_,
        uint256 reporterShareBps_
    ) {
        if (address(registry_).code.length == 0) revert BadConfig("registry has no code");
        if (minStake_ == 0) revert BadConfig("minStake is 0");
        if (slotBlocks_ == 0) revert BadConfig("slotBlocks is 0");
        if (quorum_ == 0) revert BadConfig("quorum is 0");
        if (verifierShareBps_ > BPS || slashBps_ > BPS || reporterShareBps_ > BPS || slashBps_ == 0) {
            revert BadConfig("basis points out of range");
        }
        registry = registry_;
        minStake = minStake_;
        unstakeDelay = unstakeDelay_;
        slotBlocks = slotBlocks_;
        genesisBlock = block.number;
        quorum = quorum_;
        verifierShareBps = verifierShareBps_;
        slashBps = slashBps_;
        reporterShareBps = reporterShareBps_;
        chainId_ = block.chainid;
        domainSeparator_ = _buildDomainSeparator();
    }

    // ---------------------------------------------------------------------------------- staking

    /// Adds msg.value to the caller's stake; the node joins the active set at minStake.
    function stake() external payable {
        if (msg.value == 0) revert ZeroAmount();
        Node storage n = nodes_[msg.sender];
        n.stake += msg.value;
        if (n.stake < minStake) revert StakeBelowMinimum(n.stake, minStake);
        emit Staked(msg.sender, msg.value, n.stake);
        _syncActive(msg.sender, n);
    }

    /// Moves `amount` of active stake to a pending withdrawal that unlocks after unstakeDelay
    /// (a new request restarts the delay for the whole pending amount). Pending stake stays
    /// slashable. The node leaves the active set if its stake falls below minStake.
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Node storage n = nodes_[msg.sender];
        if (amount > n.stake) revert InsufficientStake(amount, n.stake);
        n.stake -= amount;
        n.pendingUnstake += amount;
        n.unlockTime = uint64(block.timestamp + unstakeDelay);
        emit UnstakeRequested(msg.sender, amount, n.unlockTime);
        _syncActive(msg.sender, n);
    }

    function withdraw() external nonReentrant {
        Node storage n = nodes_[msg.sender];
        uint256 amount = n.pendingUnstake;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < n.unlockTime) revert WithdrawalLocked(n.unlockTime, block.timestamp);
        n.pendingUnstake = 0;
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    function nodeInfo(address node) external view returns (Node memory) {
        return nodes_[node];
    }

    function isActive(address node) public view returns (bool) {
        return activeIndex_[node] != 0;
    }

    function activeNodeCount() external view returns (uint256) {
        return active_.length;
    }

    function activeNodes() external view returns (address[] memory) {
        return active_;
    }

    // ------------------------------------------------------------------------- leader election

    function currentSlot() public view returns (uint256) {
        return (block.number - genesisBlock) / slotBlocks;
    }

    /// seed(slot) = keccak256(abi.encode(chainId, address(this), slot)).
    function slotSeed(uint256 slot) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), slot));
    }

    /// nodeId(node) = keccak256(abi.encodePacked(node)) (the 20 address bytes).
    function nodeId(address node) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(node));
    }

    /// The active node whose nodeId has the smallest XOR distance to slotSeed(slot), over the
    /// active set as of this block.
    function leaderOf(uint256 slot) public view returns (address leader) {
        uint256 n = active_.length;
        if (n == 0) revert NoActiveNodes();
        uint256 seed = uint256(slotSeed(slot));
        uint256 best;
        // Distinct addresses have distinct ids, so there are no ties.
        for (uint256 i = 0; i < n; ++i) {
            address a = active_[i];
            uint256 d = uint256(nodeId(a)) ^ seed;
            if (i == 0 || d < best) {
                best = d;
                leader = a;
            }
        }
    }

    // -------------------------------------------------------------------------------------- fees

    function deposit() external payable {
        _deposit(msg.sender);
    }

    /// A sponsor pays into a user's deposit; only the user can withdraw it.
    function depositFor(address user) external payable {
        _deposit(user);
    }

    function withdrawDeposit(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 available = deposits[msg.sender];
        if (amount > available) revert InsufficientBalance(amount, available);
        deposits[msg.sender] = available - amount;
        emit DepositWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    function claimRewards() external nonReentrant {
        uint256 amount = rewards[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        rewards[msg.sender] = 0;
        emit RewardsClaimed(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // -------------------------------------------------------------------------------- settlement

    /// The leader of `slot` (which must be the current slot) settles a batch of PostOps. Every
    /// entry must pass; a failing entry reverts the batch with an error naming its index.
    function submitBatch(uint256 slot, Settlement[] calldata batch) external {
        if (batch.length == 0) revert EmptyBatch();
        uint256 current = currentSlot();
        if (slot != current) revert WrongSlot(slot, current);
        address leader = leaderOf(slot);
        if (msg.sender != leader) revert NotLeader(slot, leader, msg.sender);

        uint256 leaderPay = 0;
        uint256 total = 0;
        for (uint256 i = 0; i < batch.length; ++i) {
            uint256 fee = batch[i].fee;
            leaderPay += fee - _settle(i, batch[i]);
            total += fee;
        }
        if (leaderPay != 0) rewards[leader] += leaderPay;
        emit BatchSettled(slot, leader, batch.length, total);
    }

    /// Settles one entry; returns the part of its fee paid to the verifiers.
    function _settle(uint256 i, Settlement calldata s) private returns (uint256 verifierPay) {
        PostOp calldata p = s.postOp;
        if (s.op.extensionId != p.extensionId) revert ExtensionMismatch(i, s.op.extensionId, p.extensionId);
        bytes32 opHash = hashOperation(s.op);
        if (p.operationHash != opHash) revert OperationHashMismatch(i, opHash, p.operationHash);
        if (settled[opHash]) revert AlreadySettled(i, opHash);
        settled[opHash] = true;

        (bool registered, bool deprecated,, address verifier) = registry.verifierInfo(p.extensionId);
        if (!registered) revert UnknownExtension(i, p.extensionId);
        if (deprecated) revert ExtensionIsDeprecated(i, p.extensionId);
        address payer = _chargeFee(i, opHash, s.op, s.fee);

        bytes32 postOpHash = _hashPostOp(p, p.proof.length != 0 ? keccak256(p.proof) : s.proofHash);
        _checkQuorum(i, postOpHash, s.verdicts);
        if (verifier != address(0) && !_groth16Accepts(verifier, p.proof, p.data)) revert ProofRejected(i);
        verifierPay = _payVerifiers(s.fee, s.verdicts);
        emit PostOpSettled(opHash, postOpHash, p.extensionId, payer, s.fee);
    }

    /// Takes `fee` from the deposit of the Operation's signer, within the signed max fee.
    function _chargeFee(uint256 i, bytes32 opHash, Operation calldata op, uint256 fee) private returns (address payer) {
        payer = _recover(opHash, op.sig);
        if (payer == address(0)) revert BadOperationSignature(i);
        if (op.gasManagementData.length < 32) revert BadGasManagementData(i);
        uint256 maxFee = uint256(bytes32(op.gasManagementData[0:32]));
        if (fee > maxFee) revert FeeAboveMax(i, fee, maxFee);
        uint256 available = deposits[payer];
        if (fee > available) revert InsufficientDeposit(i, payer, fee, available);
        deposits[payer] = available - fee;
    }

    /// Splits verifierShareBps of `fee` equally among the counted verifiers; the rounding
    /// remainder stays with the leader.
    function _payVerifiers(uint256 fee, SignedVerdict[] calldata vs) private returns (uint256 paid) {
        uint256 count = vs.length;
        uint256 share = (fee * verifierShareBps / BPS) / count;
        if (share == 0) return 0;
        for (uint256 k = 0; k < count; ++k) {
            rewards[vs[k].responderNodeId] += share;
        }
        return share * count;
    }

    function _checkQuorum(uint256 i, bytes32 postOpHash, SignedVerdict[] calldata vs) private view {
        uint256 n = vs.length;
        if (n < quorum) revert QuorumNotMet(i, n, quorum);
        address previous = address(0);
        for (uint256 k = 0; k < n; ++k) {
            SignedVerdict calldata v = vs[k];
            if (v.verdict != Verdict.Valid || v.requestId != postOpHash) revert VerdictNotValidForPostOp(i, k);
            if (v.responderNodeId <= previous) revert SignersNotStrictlyIncreasing(i, k);
            if (_recover(hashVerdict(v), v.signature) != v.responderNodeId) revert BadVerdictSignature(i, k);
            if (!isActive(v.responderNodeId)) revert NotStakedNode(i, k, v.responderNodeId);
            previous = v.responderNodeId;
        }
    }

    // --------------------------------------------------------------------------------- slashing

    /// Anyone may submit two verdicts signed by the same node for the same request, one VALID and
    /// one INVALID. (ERROR means "could not verify" and conflicts with nothing.)
    function slashConflictingVerdicts(SignedVerdict calldata a, SignedVerdict calldata b) external {
        if (a.requestId != b.requestId || a.responderNodeId != b.responderNodeId) revert NotConflicting();
        bool conflicting = (a.verdict == Verdict.Valid && b.verdict == Verdict.Invalid)
            || (a.verdict == Verdict.Invalid && b.verdict == Verdict.Valid);
        if (!conflicting) revert NotConflicting();
        _checkSigned(a);
        _checkSigned(b);
        _slash(a.responderNodeId, keccak256(abi.encode("conflict", a.responderNodeId, a.requestId)));
    }

    /// Anyone may submit a VALID verdict for a PostOp of a Custom groth16 Extension whose proof
    /// the on-chain verifier rejects.
    function slashInvalidProofVerdict(PostOp calldata p, SignedVerdict calldata v) external {
        if (v.verdict != Verdict.Valid) revert NotValidVerdict();
        bytes32 postOpHash = hashPostOp(p);
        if (v.requestId != postOpHash) revert WrongRequestId(postOpHash, v.requestId);
        _checkSigned(v);
        (,,, address verifier) = registry.verifierInfo(p.extensionId);
        if (verifier == address(0)) revert NotOnChainVerifiable(p.extensionId);
        if (_groth16Accepts(verifier, p.proof, p.data)) revert ProofIsValid();
        _slash(v.responderNodeId, keccak256(abi.encode("invalid-proof", v.responderNodeId, postOpHash)));
    }

    function _checkSigned(SignedVerdict calldata v) private view {
        if (_recover(hashVerdict(v), v.signature) != v.responderNodeId) revert BadSignature();
    }

    /// Takes slashBps of the node's active and pending stake (pending first), pays the reporter
    /// reporterShareBps of it as claimable rewards and burns the rest.
    function _slash(address node, bytes32 evidence) private {
        if (evidenceUsed[evidence]) revert EvidenceAlreadyUsed(evidence);
        evidenceUsed[evidence] = true;
        Node storage n = nodes_[node];
        uint256 amount = (n.stake + n.pendingUnstake) * slashBps / BPS;
        if (amount == 0) revert NothingToSlash(node);
        uint256 fromPending = amount < n.pendingUnstake ? amount : n.pendingUnstake;
        n.pendingUnstake -= fromPending;
        n.stake -= amount - fromPending;
        uint256 reward = amount * reporterShareBps / BPS;
        rewards[msg.sender] += reward;
        totalBurned += amount - reward;
        emit Slashed(node, msg.sender, evidence, amount, reward);
        _syncActive(node, n);
    }

    // ---------------------------------------------------------------------------------- hashing

    function domainSeparator() public view returns (bytes32) {
        return block.chainid == chainId_ ? domainSeparator_ : _buildDomainSeparator();
    }

    function hashOperation(Operation calldata op) public view returns (bytes32) {
        return _typedDataHash(
            keccak256(
                abi.encode(
                    OPERATION_TYPEHASH,
                    op.extensionId,
                    op.to,
                    op.gas,
                    keccak256(op.gasManagementData),
                    keccak256(op.data),
                    op.blockHash
                )
            )
        );
    }

    function hashPostOp(PostOp calldata p) public view returns (bytes32) {
        return _hashPostOp(p, keccak256(p.proof));
    }

    function _hashPostOp(PostOp calldata p, bytes32 proofHash) private view returns (bytes32) {
        return _typedDataHash(
            keccak256(
                abi.encode(POSTOP_TYPEHASH, p.operationHash, p.extensionId, proofHash, keccak256(p.data), p.processedBlockHash)
            )
        );
    }

    function hashVerdict(SignedVerdict calldata v) public view returns (bytes32) {
        return _typedDataHash(
            keccak256(
                abi.encode(VERDICT_TYPEHASH, v.requestId, v.responderNodeId, uint8(v.verdict), v.diagnosticsHash, v.timestamp)
            )
        );
    }

    /// Whether the registered on-chain verifier of `extensionId` accepts (proof, data), with the
    /// encodings of contracts/README.md. False for Extensions without an on-chain verifier.
    function checkProof(bytes32 extensionId, bytes calldata proof, bytes calldata data) external view returns (bool) {
        (,,, address verifier) = registry.verifierInfo(extensionId);
        return verifier != address(0) && _groth16Accepts(verifier, proof, data);
    }

    // --------------------------------------------------------------------------------- internals

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(NAME)), keccak256(bytes(VERSION)), block.chainid, address(this))
        );
    }

    function _typedDataHash(bytes32 structHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
    }

    /// ecrecover of a 65-byte r || s || v signature; address(0) for anything malformed,
    /// including high-s (malleable) signatures.
    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        if ((v != 27 && v != 28) || uint256(s) > HALF_N) return address(0);
        return ecrecover(digest, v, r, s);
    }

    /// Calls the snarkjs verifier's verifyProof(uint[2],uint[2][2],uint[2],uint[N]) with
    /// proof = abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c) (256 bytes, b in the EVM
    /// order snarkjs' soliditycalldata prints) and the public signals taken from
    /// data = abi.encode(uint256[] publicSignals). Malformed input is a rejection.
    function _groth16Accepts(address verifier, bytes calldata proof, bytes calldata data) private view returns (bool) {
        if (proof.length != 256 || data.length < 64) return false;
        if (uint256(bytes32(data[0:32])) != 32) return false;
        uint256 n = uint256(bytes32(data[32:64]));
        if (n == 0 || n > MAX_PUBLIC_SIGNALS || data.length != 64 + 32 * n) return false;
        bytes4 selector = bytes4(
            keccak256(abi.encodePacked("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(n), "])"))
        );
        (bool ok, bytes memory ret) = verifier.staticcall(abi.encodePacked(selector, proof, data[64:]));
        return ok && ret.length == 32 && abi.decode(ret, (uint256)) == 1;
    }

    function _decimal(uint256 x) private pure returns (bytes memory s) {
        if (x < 10) return abi.encodePacked(bytes1(uint8(48 + x)));
        return abi.encodePacked(_decimal(x / 10), bytes1(uint8(48 + x % 10)));
    }

    function _deposit(address user) private {
        if (msg.value == 0) revert ZeroAmount();
        deposits[user] += msg.value;
        emit Deposited(user, msg.sender, msg.value);
    }

    function _syncActive(address node, Node storage n) private {
        bool should = n.stake >= minStake;
        uint256 idx = activeIndex_[node];
        if (should && idx == 0) {
            active_.push(node);
            activeIndex_[node] = active_.length;
            emit NodeActivated(node);
        } else if (!should && idx != 0) {
            address last = active_[active_.length - 1];
            active_[idx - 1] = last;
            activeIndex_[last] = idx;
            active_.pop();
            delete activeIndex_[node];
            emit NodeDeactivated(node);
        }
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
