// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title TradeLedger: tdx's chaincode rules (chaincode/lifecycle.py, chaincode/authority.py)
///        as one Solidity contract for a permissioned EVM consortium (Besu QBFT; anvil in tests).
/// @notice Documents stay off chain. The ledger holds their sha256 digests, who issued them,
///         their state, eBL control and pickup rights. Every refusal reverts with a custom error
///         that names the broken rule; every state change emits an event carrying what an
///         indexer needs (the block gives the time).
/// @dev Storage is packed: a document is one slot (issuer, holder and endorsee as uint32
///      organisation numbers, kind, state, country, to-order flag, uint64 time). A batch is one
///      slot for any number of documents; its members are proven with RFC 9162 inclusion
///      proofs (sha256, leaf = sha256(0x00 || "sha256:<hex>"), node = sha256(0x01 || l || r)).
contract TradeLedger {
    // --- codes shared with the Python side --------------------------------------------------

    // Roles: bit i is identity.roles.Role in declaration order.
    uint16 internal constant ROLE_QUARANTINE = 1 << 1;
    uint16 internal constant ROLE_CO_ISSUER = 1 << 2;
    uint16 internal constant ROLE_CARRIER = 1 << 3;
    uint16 internal constant ROLE_RAIL = 1 << 7;
    uint16 internal constant ROLE_TERMINAL = 1 << 8;
    uint16 internal constant ALL_ROLES = (1 << 11) - 1;

    // Kinds: chaincode.documents.registry.DocumentKind in declaration order.
    uint8 internal constant KIND_CO = 0;
    uint8 internal constant KIND_EBL = 1;
    uint8 internal constant KIND_PHYTO = 2;
    uint8 internal constant KIND_RAIL = 3;
    // The role that issues each kind (authority.ISSUER_ROLES), 16 bits per kind.
    uint64 internal constant ISSUER_ROLES = (uint64(ROLE_RAIL) << 48) | (uint64(ROLE_QUARANTINE) << 32)
        | (uint64(ROLE_CARRIER) << 16) | uint64(ROLE_CO_ISSUER);

    // States: chaincode.records.DocState, 0 meaning "not on the ledger".
    uint8 internal constant ISSUED = 1;
    uint8 internal constant AMENDED = 2;
    uint8 internal constant REPLACED = 3;
    uint8 internal constant REVOKED = 4;
    uint8 internal constant PENDING_SURRENDER_FOR_DELIVERY = 5;
    uint8 internal constant PENDING_SURRENDER_FOR_AMENDMENT = 6;
    uint8 internal constant SURRENDERED_FOR_DELIVERY = 7;
    uint8 internal constant SURRENDERED_FOR_AMENDMENT = 8;
    uint8 internal constant VOIDED = 9;

    // --- storage ------------------------------------------------------------------------------

    /// One slot. `holder` is the party in control while ISSUED; from a surrender on, the
    /// carrier (`issuer`) controls the eBL and `holder` keeps the party that surrendered it.
    struct Doc {
        uint32 issuer;
        uint32 holder;
        uint32 endorsee;
        uint8 kind;
        uint8 state;
        bytes2 country; // 0: the document names no issuing country
        bool toOrder;
        uint64 time;
    }

    /// One slot for a whole batch; its documents are ISSUED unless `docs` says otherwise.
    struct Batch {
        uint32 issuer;
        uint8 kind;
        bytes2 country;
        uint64 time;
        uint32 size;
    }

    struct Org {
        uint32 id; // 0: not registered
        uint16 roles;
        bytes2 country;
    }

    /// The right to collect one released container, once, before `expires`.
    struct Right {
        bytes32 ebl;
        uint32 holder;
        uint32 releasedBy;
        uint32 pickedUpBy;
        uint64 expires;
        uint64 pickedUpAt;
    }

    mapping(address => bytes2) public authorityCountry;
    mapping(bytes2 => address) public countryAuthority;
    uint32 public memberCount;
    uint32 public admissionRound;
    mapping(bytes32 => uint32) public admissionVotes;
    mapping(bytes32 => mapping(address => bool)) internal _voted;

    mapping(address => Org) internal _orgs;
    mapping(uint32 => address) public accountOf;
    mapping(address => bytes32) public certificateOf;
    uint32 public organisationCount;

    mapping(bytes32 => Doc) internal _docs;
    mapping(bytes32 => Batch) internal _batches;
    mapping(bytes32 => bytes32) public containersOf; // eBL => keccak256 of its container list
    mapping(bytes32 => Right) internal _rights;

    // --- events -------------------------------------------------------------------------------

    event CountryAdmitted(bytes2 indexed country, address indexed authority, uint32 round);
    event AdmissionVoted(
        bytes2 indexed country, address indexed authority, address indexed voter, uint32 votes, uint32 members
    );
    event OrganisationRegistered(
        address indexed account, bytes2 indexed country, uint32 id, uint16 roles, bytes32 certificate
    );
    /// A document issued (by issue, issueLinked, amend, replace, supersedeInBatch).
    /// `record` = issuer address (bits 0-159) | kind (bits 160-167) | country (bits 176-191).
    /// It is the contract's only anonymous event: a log of this contract with no topics is an
    /// Issued. Leaving out the signature topic (375 gas) keeps a single anchor, with all its
    /// facts in the log, under TradeTrust's DocumentStore.issue; the indexer reads every log
    /// in order and needs no per-document topic.
    event Issued(bytes32 doc, uint256 record) anonymous;
    event Linked(bytes32 indexed doc, bytes32[] containers, bytes32[] links);
    event BatchAnchored(bytes32 indexed root, address indexed issuer, uint8 kind, bytes2 country, uint32 size);
    event Superseded(bytes32 indexed doc, bytes32 indexed by, address indexed actor, uint8 state, string reason);
    event Revoked(bytes32 indexed doc, address indexed actor, bytes32 batch, string reason);
    event EblIssued(
        bytes32 indexed doc, address indexed carrier, address indexed holder, bool toOrder, bytes2 country,
        bytes32[] containers
    );
    event Transferred(bytes32 indexed doc, address indexed from, address indexed to, bool endorsed);
    event SurrenderRequested(bytes32 indexed doc, address indexed by, uint8 state);
    event SurrenderAnswered(bytes32 indexed doc, address indexed carrier, uint8 state, string reason);
    event Released(bytes32 indexed doc, bytes32 indexed container, address indexed holder, uint64 expires);
    event Delegated(bytes32 indexed container, address indexed from, address indexed to, bytes32 ebl);
    event PickedUp(bytes32 indexed container, address indexed terminal, address indexed holder, bytes32 ebl);

    // --- refusals -----------------------------------------------------------------------------

    error FoundersMismatch();
    error NotCountryAuthority(address account);
    error CountryAlreadyMember(bytes2 country);
    error AuthorityAlreadyMember(address authority);
    error AlreadyVoted();
    error InvalidCountry(bytes2 country);
    error ZeroAccount();
    error InvalidRoles(uint16 roles);
    error CertificateRequired();
    error NotYourOrganisation(bytes2 country);
    error UnknownOrganisation(address account);
    error InvalidKind(uint8 kind);
    error RoleRequired(uint16 role);
    error WrongCountry(bytes2 documentCountry, bytes2 organisationCountry);
    error CountryMismatch(bytes2 required);
    error AlreadyOnLedger(bytes32 doc);
    error NotOnLedger(bytes32 doc);
    error ReasonRequired();
    error AlreadyAmended();
    error AlreadyReplaced();
    error AlreadyRevoked();
    error Voided();
    error SurrenderPending(uint8 state);
    error AlreadySurrendered(uint8 state);
    error OnlyPhytoReplaced(uint8 kind);
    error EblNotRevocable();
    error EblNeedsEblFunction();
    error NotAnEbl(uint8 kind);
    error EblNotBatchable();
    error EmptyBatch();
    error BatchExists(bytes32 root);
    error UnknownBatch(bytes32 root);
    error InvalidProof();
    error NotPossessor(address current);
    error SelfTransfer();
    error NotToOrder();
    error NotCarrier(address carrier);
    error NoSurrenderPending(uint8 state);
    error NotSurrenderedForAmendment(uint8 state);
    error NotSurrenderedForDelivery(uint8 state);
    error NoContainers();
    error ContainerListMismatch();
    error ContainerNotOnEbl(bytes32 container);
    error AlreadyReleased(bytes32 container);
    error ExpiryNotAfterRelease(uint64 expires);
    error NoPickupRight(bytes32 container);
    error AlreadyPickedUp(bytes32 container, uint64 pickedUpAt);
    error RightExpired(uint64 expires);
    error ReleasedUnderOtherEbl(bytes32 ebl);
    error NotRightHolder(address holder);

    // --- governance ---------------------------------------------------------------------------

    /// @param countries ISO 3166 alpha-2 codes of the founding members, as two ASCII bytes.
    /// @param authorities each founding country's authority account.
    constructor(bytes2[] memory countries, address[] memory authorities) {
        if (countries.length != authorities.length || countries.length == 0) revert FoundersMismatch();
        for (uint256 i; i < countries.length; ++i) {
            _admit(countries[i], authorities[i]);
        }
    }

    /// A member country votes to admit `country` with `authority`; at 2/3 of the members it is
    /// in. Votes count for the membership they were cast under (each admission starts a new round).
    function voteAdmission(bytes2 country, address authority) external {
        if (authorityCountry[msg.sender] == 0) revert NotCountryAuthority(msg.sender);
        _checkCandidate(country, authority);
        bytes32 key = keccak256(abi.encode(country, authority, admissionRound));
        if (_voted[key][msg.sender]) revert AlreadyVoted();
        _voted[key][msg.sender] = true;
        uint32 votes = ++admissionVotes[key];
        uint32 members = memberCount;
        emit AdmissionVoted(country, authority, msg.sender, votes, members);
        if (uint256(votes) * 3 >= uint256(members) * 2) {
            ++admissionRound;
            _admit(country, authority);
        }
    }

    /// A country authority registers (or updates) one of its own organisations' accounts,
    /// with its roles and the SHA-256 digest of its organisation certificate.
    function registerOrganisation(address account, uint16 roles, bytes32 certificate) external {
        bytes2 mine = authorityCountry[msg.sender];
        if (mine == 0) revert NotCountryAuthority(msg.sender);
        if (account == address(0)) revert ZeroAccount();
        if (roles & ~ALL_ROLES != 0) revert InvalidRoles(roles);
        if (certificate == 0) revert CertificateRequired();
        Org memory org = _orgs[account];
        if (org.id != 0 && org.country != mine) revert NotYourOrganisation(org.country);
        if (org.id == 0) {
            org.id = ++organisationCount;
            accountOf[org.id] = account;
        }
        _orgs[account] = Org(org.id, roles, mine);
        certificateOf[account] = certificate;
        emit OrganisationRegistered(account, mine, org.id, roles, certificate);
    }

    // --- documents ----------------------------------------------------------------------------

    /// Issue one document (not an eBL: see issueEbl).
    /// @param kindCountry the kind byte, then the issuing country the document names as two
    ///        ASCII bytes (0x0000 for none): e.g. 0x00 "SG" for a certificate of origin of SG.
    /// @dev The hot path of single anchoring, written flat in assembly (one SLOAD for the
    ///      sender's organisation, one for the document, one SSTORE, one log) to stay under
    ///      TradeTrust's DocumentStore.issue. A refusal takes _issueRefusal, which applies the
    ///      same rules as issueLinked in order and reverts with the error that names the rule.
    function issue(bytes32 doc, bytes3 kindCountry) external {
        bool refused;
        assembly ("memory-safe") {
            let kind := byte(0, kindCountry)
            let code := and(shr(232, kindCountry), 0xffff)
            // ISSUER_ROLES without the eBL (issued by issueEbl); 0 beyond the last kind.
            let role := and(shr(shl(4, kind), 0x0080000200000004), 0xffff)
            mstore(0, caller())
            mstore(0x20, _orgs.slot)
            let org := sload(keccak256(0, 0x40))
            mstore(0, doc)
            mstore(0x20, _docs.slot)
            let slot := keccak256(0, 0x40)
            refused := or(
                or(iszero(and(org, 0xffffffff)), iszero(and(shr(32, org), role))),
                or(and(iszero(iszero(code)), iszero(eq(code, and(shr(48, org), 0xffff)))), iszero(iszero(sload(slot))))
            )
            if iszero(refused) {
                let kc := or(shl(96, kind), shl(112, code))
                sstore(slot, or(or(and(org, 0xffffffff), kc), or(shl(104, 1), shl(136, timestamp()))))
                mstore(0x20, or(caller(), shl(64, kc)))
                log0(0, 0x40) // Issued(doc, record), anonymous
            }
        }
        if (refused) _issueRefusal(doc, uint8(kindCountry[0]), bytes2(kindCountry << 8));
    }

    /// issue, recording the document's containers and links for container look-ups and traces.
    function issueLinked(
        bytes32 doc,
        uint8 kind,
        bytes2 country,
        bytes32[] calldata containers,
        bytes32[] calldata links
    ) external {
        if (kind == KIND_EBL) revert EblNeedsEblFunction();
        _create(doc, _issuerId(kind, country), 0, kind, country, false);
        emit Issued(doc, _issuedRecord(kind, country));
        emit Linked(doc, containers, links);
    }

    /// Anchor `size` documents under one RFC 9162 Merkle root; each is ISSUED and provable.
    /// @dev The digests stay off chain (calldata alone would cost ~512 gas a document), so
    ///      the chain cannot check that none of them is already on the ledger; the node does.
    function anchorBatch(bytes32 root, uint8 kind, bytes2 country, uint32 size) external {
        if (kind == KIND_EBL) revert EblNotBatchable();
        if (size == 0) revert EmptyBatch();
        uint32 issuer = _issuerId(kind, country);
        if (_batches[root].size != 0) revert BatchExists(root);
        _batches[root] = Batch(issuer, kind, country, uint64(block.timestamp), size);
        emit BatchAnchored(root, msg.sender, kind, country, size);
    }

    function amend(bytes32 old, bytes32 newDoc, bytes2 country, string calldata reason) external {
        _supersede(old, _docs[old], bytes32(0), newDoc, country, reason, AMENDED);
    }

    /// Replace a quarantine certificate.
    function replace(bytes32 old, bytes32 newDoc, bytes2 country, string calldata reason) external {
        _supersede(old, _docs[old], bytes32(0), newDoc, country, reason, REPLACED);
    }

    /// amend / replace (`replacing`) a document anchored in batch `root`, with its proof.
    function supersedeInBatch(
        bytes32 old,
        bytes32 newDoc,
        bytes2 country,
        string calldata reason,
        bool replacing,
        bytes32 root,
        uint256 index,
        bytes32[] calldata proof
    ) external {
        Doc memory d = _docOrBatch(old, root, index, proof);
        _supersede(old, d, root, newDoc, country, reason, replacing ? REPLACED : AMENDED);
    }

    function revoke(bytes32 doc, string calldata reason) external {
        _revoke(doc, _docs[doc], bytes32(0), reason);
    }

    /// Revoke one document of batch `root` on its own, with its inclusion proof.
    function revokeInBatch(
        bytes32 doc,
        string calldata reason,
        bytes32 root,
        uint256 index,
        bytes32[] calldata proof
    ) external {
        _revoke(doc, _docOrBatch(doc, root, index, proof), root, reason);
    }

    // --- eBL control --------------------------------------------------------------------------

    /// The carrier issues an eBL to its first holder.
    function issueEbl(bytes32 doc, bytes2 country, address holder, bool toOrder, bytes32[] calldata containers)
        external
    {
        _create(doc, _issuerId(KIND_EBL, country), _org(holder).id, KIND_EBL, country, toOrder);
        if (containers.length != 0) containersOf[doc] = keccak256(abi.encodePacked(containers));
        emit EblIssued(doc, msg.sender, holder, toOrder, country, containers);
    }

    function transfer(bytes32 doc, address to) external {
        _transfer(doc, to, false);
    }

    /// Transfer a to-order eBL to an endorsee.
    function endorse(bytes32 doc, address to) external {
        _transfer(doc, to, true);
    }

    /// The holder surrenders the eBL for delivery or for amendment; the carrier controls it
    /// until it accepts or rejects.
    function surrender(bytes32 doc, bool forAmendment) external {
        Doc memory d = _ebl(doc);
        _controlledBy(d, _org(msg.sender).id);
        uint8 state = forAmendment ? PENDING_SURRENDER_FOR_AMENDMENT : PENDING_SURRENDER_FOR_DELIVERY;
        _docs[doc].state = state; // `holder` stays: it is the party that surrendered
        emit SurrenderRequested(doc, msg.sender, state);
    }

    /// SACC: the carrier accepts the pending surrender.
    function accept(bytes32 doc) external {
        Doc memory d = _pendingForCarrier(doc);
        uint8 state = d.state + 2; // PENDING_* -> SURRENDERED_*
        _docs[doc].state = state;
        emit SurrenderAnswered(doc, msg.sender, state, "");
    }

    /// SREJ: the carrier rejects the pending surrender; control returns to who surrendered.
    function reject(bytes32 doc, string calldata reason) external {
        if (bytes(reason).length == 0) revert ReasonRequired();
        _pendingForCarrier(doc);
        _docs[doc].state = ISSUED;
        emit SurrenderAnswered(doc, msg.sender, ISSUED, reason);
    }

    /// The carrier amends an eBL surrendered for amendment: the old one is VOIDED and the new
    /// one goes to the party that surrendered it.
    function amendEbl(
        bytes32 old,
        bytes32 newDoc,
        bytes2 country,
        bool toOrder,
        bytes32[] calldata containers,
        string calldata reason
    ) external {
        if (bytes(reason).length == 0) revert ReasonRequired();
        Doc memory d = _docs[old];
        if (d.state == 0) revert NotOnLedger(old);
        if (d.kind != KIND_EBL) revert NotAnEbl(d.kind);
        Org memory org = _org(msg.sender);
        if (_docs[newDoc].state != 0) revert AlreadyOnLedger(newDoc);
        if (d.state != SURRENDERED_FOR_AMENDMENT) revert NotSurrenderedForAmendment(d.state);
        if (org.id != d.issuer) revert NotCarrier(accountOf[d.issuer]);
        _docs[old].state = VOIDED;
        _docs[newDoc] = Doc(org.id, d.holder, d.endorsee, KIND_EBL, ISSUED, country, toOrder, uint64(block.timestamp));
        if (containers.length != 0) containersOf[newDoc] = keccak256(abi.encodePacked(containers));
        emit Superseded(old, newDoc, msg.sender, VOIDED, reason);
        emit EblIssued(newDoc, msg.sender, accountOf[d.holder], toOrder, country, containers);
    }

    /// The carrier releases containers of an eBL surrendered for delivery to `to`, who may
    /// collect each once before `expires`. `eblContainers` is the eBL's full container list,
    /// as issued.
    function release(
        bytes32 doc,
        bytes32[] calldata eblContainers,
        bytes32[] calldata containers,
        address to,
        uint64 expires
    ) external {
        Doc memory d = _ebl(doc);
        if (d.state != SURRENDERED_FOR_DELIVERY) revert NotSurrenderedForDelivery(d.state);
        Org memory org = _org(msg.sender);
        if (org.id != d.issuer) revert NotCarrier(accountOf[d.issuer]);
        if (containers.length == 0) revert NoContainers();
        uint32 holder = _org(to).id;
        if (expires <= block.timestamp) revert ExpiryNotAfterRelease(expires);
        if (keccak256(abi.encodePacked(eblContainers)) != containersOf[doc]) revert ContainerListMismatch();
        for (uint256 i; i < containers.length; ++i) {
            bytes32 c = containers[i];
            if (_repeated(containers, i)) continue;
            if (!_contains(eblContainers, c)) revert ContainerNotOnEbl(c);
            if (_rights[c].ebl == doc) revert AlreadyReleased(c);
            _rights[c] = Right(doc, holder, org.id, 0, expires, 0);
            emit Released(doc, c, to, expires);
        }
    }

    /// The holder of a pickup right passes it on. `ebl` may be 0 (not checked).
    function delegate(bytes32 container, bytes32 ebl, address to) external {
        Right memory r = _liveRight(container, ebl);
        uint32 actor = _org(msg.sender).id;
        if (r.holder != actor) revert NotRightHolder(accountOf[r.holder]);
        _rights[container].holder = _org(to).id;
        emit Delegated(container, msg.sender, to, r.ebl);
    }

    /// A terminal hands the container out, once. `ebl` and `holder` may be 0 (not checked).
    function pickup(bytes32 container, bytes32 ebl, address holder) external {
        Org memory org = _org(msg.sender);
        if (org.roles & ROLE_TERMINAL == 0) revert RoleRequired(ROLE_TERMINAL);
        Right memory r = _liveRight(container, ebl);
        address current = accountOf[r.holder];
        if (holder != address(0) && holder != current) revert NotRightHolder(current);
        Right storage s = _rights[container];
        s.pickedUpAt = uint64(block.timestamp);
        s.pickedUpBy = org.id;
        emit PickedUp(container, msg.sender, current, r.ebl);
    }

    // --- reads --------------------------------------------------------------------------------

    function organisation(address account) external view returns (uint32 id, uint16 roles, bytes2 country) {
        Org memory o = _orgs[account];
        return (o.id, o.roles, o.country);
    }

    /// A document's record; `controller` is who controls an eBL now (0 for other kinds).
    function document(bytes32 doc)
        external
        view
        returns (
            uint8 state,
            uint8 kind,
            address issuer,
            bytes2 country,
            uint64 time,
            address controller,
            address surrenderedBy,
            address endorsee,
            bool toOrder
        )
    {
        Doc memory d = _docs[doc];
        address holder = accountOf[d.holder];
        bool carrierHolds = d.kind == KIND_EBL && d.state != ISSUED;
        return (
            d.state,
            d.kind,
            accountOf[d.issuer],
            d.country,
            d.time,
            carrierHolds ? accountOf[d.issuer] : holder,
            carrierHolds && d.state != VOIDED ? holder : address(0),
            accountOf[d.endorsee],
            d.toOrder
        );
    }

    function batch(bytes32 root)
        external
        view
        returns (address issuer, uint8 kind, bytes2 country, uint64 time, uint32 size)
    {
        Batch memory b = _batches[root];
        return (accountOf[b.issuer], b.kind, b.country, b.time, b.size);
    }

    /// The state of a document anchored in batch `root` (ISSUED unless changed on its own),
    /// or 0 when the proof does not show it in that batch.
    function batchDocumentState(bytes32 doc, bytes32 root, uint256 index, bytes32[] calldata proof)
        external
        view
        returns (uint8)
    {
        Batch memory b = _batches[root];
        if (b.size == 0 || !verifyInclusion(leafHash(doc), index, b.size, proof, root)) return 0;
        uint8 state = _docs[doc].state;
        return state == 0 ? ISSUED : state;
    }

    function pickupRight(bytes32 container)
        external
        view
        returns (
            bytes32 ebl,
            address holder,
            address releasedBy,
            uint64 expires,
            uint64 pickedUpAt,
            address pickedUpBy
        )
    {
        Right memory r = _rights[container];
        return (r.ebl, accountOf[r.holder], accountOf[r.releasedBy], r.expires, r.pickedUpAt, accountOf[r.pickedUpBy]);
    }

    /// RFC 9162 leaf hash of a document id: sha256(0x00 || "sha256:" || lowercase hex).
    function leafHash(bytes32 doc) public pure returns (bytes32) {
        bytes memory s = new bytes(72);
        bytes16 digits = "0123456789abcdef";
        s[1] = "s";
        s[2] = "h";
        s[3] = "a";
        s[4] = "2";
        s[5] = "5";
        s[6] = "6";
        s[7] = ":";
        for (uint256 i; i < 32; ++i) {
            uint8 b = uint8(doc[i]);
            s[8 + 2 * i] = digits[b >> 4];
            s[9 + 2 * i] = digits[b & 15];
        }
        return sha256(s);
    }

    /// RFC 9162 section 2.1.3.2: whether `proof` shows `leaf` at `index` in the tree of `size`.
    function verifyInclusion(bytes32 leaf, uint256 index, uint256 size, bytes32[] calldata proof, bytes32 root)
        public
        pure
        returns (bool)
    {
        if (index >= size) return false;
        uint256 fn = index;
        uint256 sn = size - 1;
        bytes32 r = leaf;
        for (uint256 i; i < proof.length; ++i) {
            if (sn == 0) return false;
            if (fn & 1 == 1 || fn == sn) {
                r = sha256(abi.encodePacked(bytes1(0x01), proof[i], r));
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = sha256(abi.encodePacked(bytes1(0x01), r, proof[i]));
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r == root;
    }

    // --- rules --------------------------------------------------------------------------------

    function _admit(bytes2 country, address authority) internal {
        _checkCandidate(country, authority);
        authorityCountry[authority] = country;
        countryAuthority[country] = authority;
        ++memberCount;
        emit CountryAdmitted(country, authority, admissionRound);
    }

    function _checkCandidate(bytes2 country, address authority) internal view {
        if (uint8(country[0]) < 0x41 || uint8(country[0]) > 0x5a || uint8(country[1]) < 0x41 || uint8(country[1]) > 0x5a)
        {
            revert InvalidCountry(country);
        }
        if (authority == address(0)) revert ZeroAccount();
        if (countryAuthority[country] != address(0)) revert CountryAlreadyMember(country);
        if (authorityCountry[authority] != 0) revert AuthorityAlreadyMember(authority);
    }

    function _issueRefusal(bytes32 doc, uint8 kind, bytes2 country) internal view {
        if (kind == KIND_EBL) revert EblNeedsEblFunction();
        _issuerId(kind, country);
        revert AlreadyOnLedger(doc);
    }

    function _issuedRecord(uint8 kind, bytes2 country) internal view returns (uint256) {
        return uint256(uint160(msg.sender)) | (uint256(kind) << 160) | (uint256(uint16(country)) << 176);
    }

    function _org(address account) internal view returns (Org memory org) {
        org = _orgs[account];
        if (org.id == 0) revert UnknownOrganisation(account);
    }

    /// authority.issue_refusal for the sender: the kind's issuer role, then the country.
    /// Reads the sender's organisation word directly (one SLOAD, no memory struct).
    function _issuerId(uint8 kind, bytes2 country) internal view returns (uint32 id) {
        if (kind > KIND_RAIL) revert InvalidKind(kind);
        uint256 word;
        assembly ("memory-safe") {
            mstore(0, caller())
            mstore(0x20, _orgs.slot)
            word := sload(keccak256(0, 0x40))
        }
        id = uint32(word);
        if (id == 0) revert UnknownOrganisation(msg.sender);
        uint16 role = uint16(ISSUER_ROLES >> (uint256(kind) << 4));
        if (uint16(word >> 32) & role == 0) revert RoleRequired(role);
        bytes2 mine = bytes2(uint16(word >> 48));
        if (country != 0 && mine != country) revert WrongCountry(country, mine);
    }

    function _authorise(Org memory org, uint8 kind, bytes2 country) internal pure {
        uint16 role = uint16(ISSUER_ROLES >> (uint256(kind) << 4));
        if (org.roles & role == 0) revert RoleRequired(role);
        if (country != 0 && org.country != country) revert WrongCountry(country, org.country);
    }

    /// Store a new document's record: one slot, written once (see Doc for the layout).
    function _create(bytes32 doc, uint32 issuer, uint32 holder, uint8 kind, bytes2 country, bool toOrder) internal {
        uint256 slot;
        uint256 word;
        assembly ("memory-safe") {
            mstore(0, doc)
            mstore(0x20, _docs.slot)
            slot := keccak256(0, 0x40)
            word := sload(slot)
        }
        if (word != 0) revert AlreadyOnLedger(doc);
        word = uint256(issuer) | (uint256(holder) << 32) | (uint256(kind) << 96) | (uint256(ISSUED) << 104)
            | (uint256(uint16(country)) << 112) | (toOrder ? uint256(1) << 128 : 0) | (block.timestamp << 136);
        assembly ("memory-safe") {
            sstore(slot, word)
        }
    }

    function _docOrBatch(bytes32 doc, bytes32 root, uint256 index, bytes32[] calldata proof)
        internal
        view
        returns (Doc memory d)
    {
        d = _docs[doc];
        if (d.state != 0) return d; // changed on its own before: its own record rules
        Batch memory b = _batches[root];
        if (b.size == 0) revert UnknownBatch(root);
        if (!verifyInclusion(leafHash(doc), index, b.size, proof, root)) revert InvalidProof();
        d = Doc(b.issuer, 0, 0, b.kind, ISSUED, b.country, false, b.time);
    }

    function _stateError(uint8 state) internal pure {
        if (state == AMENDED) revert AlreadyAmended();
        if (state == REPLACED) revert AlreadyReplaced();
        if (state == REVOKED) revert AlreadyRevoked();
        if (state == VOIDED) revert Voided();
        if (state == PENDING_SURRENDER_FOR_DELIVERY || state == PENDING_SURRENDER_FOR_AMENDMENT) {
            revert SurrenderPending(state);
        }
        revert AlreadySurrendered(state);
    }

    /// lifecycle._supersede for documents other than eBLs (see amendEbl).
    function _supersede(
        bytes32 old,
        Doc memory d,
        bytes32 root,
        bytes32 newDoc,
        bytes2 country,
        string calldata reason,
        uint8 state
    ) internal {
        if (bytes(reason).length == 0) revert ReasonRequired();
        if (d.state == 0) revert NotOnLedger(old);
        if (state == REPLACED && d.kind != KIND_PHYTO) revert OnlyPhytoReplaced(d.kind);
        if (d.kind == KIND_EBL) revert EblNeedsEblFunction();
        Org memory org = _org(msg.sender);
        if (_docs[newDoc].state != 0) revert AlreadyOnLedger(newDoc);
        if (d.state != ISSUED) _stateError(d.state);
        _authorise(org, d.kind, d.country);
        if (country != d.country) revert CountryMismatch(d.country);
        d.state = state;
        _docs[old] = d;
        _docs[newDoc] = Doc(org.id, 0, 0, d.kind, ISSUED, country, false, uint64(block.timestamp));
        emit Superseded(old, newDoc, msg.sender, state, reason);
        emit Issued(newDoc, _issuedRecord(d.kind, country));
        root; // the batch, when there is one, is in the call data
    }

    function _revoke(bytes32 doc, Doc memory d, bytes32 root, string calldata reason) internal {
        if (bytes(reason).length == 0) revert ReasonRequired();
        if (d.state == 0) revert NotOnLedger(doc);
        if (d.kind == KIND_EBL) revert EblNotRevocable();
        if (d.state != ISSUED) _stateError(d.state);
        _authorise(_org(msg.sender), d.kind, d.country);
        d.state = REVOKED;
        _docs[doc] = d;
        emit Revoked(doc, msg.sender, root, reason);
    }

    function _ebl(bytes32 doc) internal view returns (Doc memory d) {
        d = _docs[doc];
        if (d.state == 0) revert NotOnLedger(doc);
        if (d.kind != KIND_EBL) revert NotAnEbl(d.kind);
    }

    function _controlledBy(Doc memory d, uint32 actor) internal view {
        if (d.state != ISSUED) _stateError(d.state);
        if (d.holder != actor) revert NotPossessor(accountOf[d.holder]);
    }

    function _transfer(bytes32 doc, address to, bool endorsing) internal {
        Doc memory d = _ebl(doc);
        uint32 actor = _org(msg.sender).id;
        _controlledBy(d, actor);
        uint32 next = _org(to).id;
        if (next == actor) revert SelfTransfer();
        if (endorsing) {
            if (!d.toOrder) revert NotToOrder();
            _docs[doc].endorsee = next;
        }
        _docs[doc].holder = next;
        emit Transferred(doc, msg.sender, to, endorsing);
    }

    function _pendingForCarrier(bytes32 doc) internal view returns (Doc memory d) {
        d = _ebl(doc);
        if (d.state != PENDING_SURRENDER_FOR_DELIVERY && d.state != PENDING_SURRENDER_FOR_AMENDMENT) {
            revert NoSurrenderPending(d.state);
        }
        if (_org(msg.sender).id != d.issuer) revert NotCarrier(accountOf[d.issuer]);
    }

    function _liveRight(bytes32 container, bytes32 ebl) internal view returns (Right memory r) {
        r = _rights[container];
        if (r.ebl == 0) revert NoPickupRight(container);
        if (r.pickedUpAt != 0) revert AlreadyPickedUp(container, r.pickedUpAt);
        if (block.timestamp >= r.expires) revert RightExpired(r.expires);
        if (ebl != 0 && ebl != r.ebl) revert ReleasedUnderOtherEbl(r.ebl);
    }

    function _contains(bytes32[] calldata list, bytes32 item) internal pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == item) return true;
        }
        return false;
    }

    function _repeated(bytes32[] calldata list, uint256 index) internal pure returns (bool) {
        for (uint256 i; i < index; ++i) {
            if (list[i] == list[index]) return true;
        }
        return false;
    }
}
