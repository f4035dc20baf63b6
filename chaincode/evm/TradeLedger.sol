// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title TradeLedger: tdx's chaincode rules (chaincode/lifecycle.py, chaincode/authority.py)
///        as one Solidity contract for a permissioned EVM consortium (Besu QBFT; anvil in tests).
/// @notice Documents stay off chain. The ledger holds their sha256 digests, who issued them,
///         their state, eBL control and pickup rights. Every refusal reverts with a custom error
///         that names the broken rule; every state change emits an event carrying what an
///         indexer needs (the block gives the time).
/// @dev Records are keyed by (digest, owner): the owner is the issuing organisation's number for
///      a record of its own, or the key of the issuer's batch for a batch member changed on its
///      own. Each issuer anchors in its own namespace, so anchoring a digest (or a batch root)
///      that another organisation anchored creates a second record and never touches the first.
///      A record is one slot (issuer, holder and endorsee as uint32 organisation numbers, kind,
///      state, country, to-order flag, uint64 time). A batch is one slot for any number of
///      documents; its members are proven with RFC 9162 inclusion proofs (sha256, leaf =
///      sha256(0x00 || "sha256:<hex>"), node = sha256(0x01 || l || r)), on every change.
contract TradeLedger {
    // --- codes shared with the Python side --------------------------------------------------

    // Roles: bit i is identity.roles.Role in declaration order.
    uint16 internal constant ROLE_QUARANTINE = 1 << 1;
    uint16 internal constant ROLE_CO_ISSUER = 1 << 2;
    uint16 internal constant ROLE_CARRIER = 1 << 3;
    uint16 internal constant ROLE_RAIL = 1 << 7;
    uint16 internal constant ROLE_TERMINAL = 1 << 8;
    uint16 internal constant ALL_ROLES = (1 << 11) - 1;

    // Kinds: chaincode.documents.registry.DocumentKind in declaration order (co is 0).
    uint8 internal constant KIND_EBL = 1;
    uint8 internal constant KIND_PHYTO = 2;
    uint8 internal constant KIND_RAIL = 3;
    uint8 internal constant NO_KIND = 255; // RoleRequired for an act that issues nothing
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

    // Exclusive control across platforms (chaincode/external_control.py): Doc.control holds
    // where control is (bits 0-1: AWAY_*) and two flags (bits 2, 3).
    uint8 internal constant EXPORTED = 1; // on a TradeTrust token registry
    uint8 internal constant IN_FLIGHT = 2; // a PINT envelope awaits its answer
    uint8 internal constant OUT = 3; // another PINT platform accepted it
    uint8 internal constant CARRIER_ELSEWHERE = 4; // received by PINT; its carrier is elsewhere
    uint8 internal constant SURRENDERED_ELSEWHERE = 8; // its pending surrender came by PINT
    // moveControl's operations, as chaincode.transactions.Op names them.
    uint8 internal constant EXPORT_EBL = 1;
    uint8 internal constant RECLAIM_EBL = 2;
    uint8 internal constant BEGIN_TRANSFER_OUT = 3;
    uint8 internal constant COMPLETE_TRANSFER_OUT = 4;
    uint8 internal constant RECORD_RECEIVED = 6;

    /// Where records live: keccak256(digest, owner, DOCUMENTS) (see _record). The value is
    /// keccak256("tdx.TradeLedger.documents"), written out because assembly reads only literals.
    uint256 internal constant DOCUMENTS = 0xb8a94e71bc0eaee97a925fa1a5132af4a21c8e59ee3986833ed598547a7fc3cd;

    // --- storage ------------------------------------------------------------------------------

    /// One slot. `holder` is the party in control while ISSUED; from a surrender on, the
    /// carrier (`issuer`) controls the eBL and `holder` keeps the party that surrendered it.
    /// `control` says whether control lives on another platform (see EXPORTED and after).
    struct Doc {
        uint32 issuer;
        uint32 holder;
        uint32 endorsee;
        uint8 kind;
        uint8 state;
        bytes2 country; // 0: the document names no issuing country
        bool toOrder;
        uint64 time;
        uint8 control;
    }

    /// One slot for a whole batch; its documents are ISSUED unless their own record says otherwise.
    struct Batch {
        uint32 issuer;
        uint8 kind;
        bytes2 country;
        uint64 time;
        uint32 size;
    }

    struct Org {
        uint32 id; // 0: not registered (or removed)
        uint16 roles;
        bytes2 country;
        bool retired; // removed, or rotated away from: never registered again
    }

    /// The right to collect one released container, once, before `expires`, at a named
    /// terminal or at any terminal of `country`. (ebl, releasedBy) name its eBL.
    struct Right {
        bytes32 ebl;
        uint32 holder;
        uint32 releasedBy;
        uint32 pickedUpBy;
        uint32 terminal;
        uint64 expires;
        uint40 pickedUpAt;
        bytes2 country;
    }

    mapping(address => bytes2) public authorityCountry;
    mapping(bytes2 => address) public countryAuthority;
    uint32 public memberCount;
    /// Votes count for the membership they were cast under: every decided vote starts a round.
    uint32 public round;
    mapping(bytes32 => uint32) public votes;
    mapping(bytes32 => mapping(address => bool)) internal _voted;

    mapping(address => Org) internal _orgs;
    mapping(uint32 => address) public accountOf;
    mapping(address => bytes32) public certificateOf;
    uint32 public organisationCount;

    mapping(bytes32 => Batch) internal _batches; // keccak256(root, issuer)
    mapping(bytes32 => bytes32) public containersOf; // eBL record key => keccak256 of its containers
    mapping(bytes32 => Right) internal _rights;
    mapping(bytes32 => bool) public releasedUnder; // keccak256(container, ebl, carrier)
    mapping(uint256 => bytes32) internal _awayRef; // record slot => the transfer moving it out

    // --- events -------------------------------------------------------------------------------

    event CountryAdmitted(bytes2 indexed country, address indexed authority, uint32 round);
    event AuthorityRotated(bytes2 indexed country, address indexed authority, address previous);
    event Voted(bytes32 indexed proposal, address indexed voter, uint32 votes, uint32 members);
    event OrganisationRegistered(
        address indexed account, bytes2 indexed country, uint32 id, uint16 roles, bytes32 certificate
    );
    event OrganisationRemoved(address indexed account, uint32 id);
    event OrganisationRotated(address indexed account, address indexed next, uint32 id);
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
    // The eBL events name its carrier by organisation number (an address would cost a cold read).
    event Transferred(bytes32 indexed doc, address indexed from, address indexed to, uint32 carrier, bool endorsed);
    event SurrenderRequested(bytes32 indexed doc, address indexed by, uint32 carrier, uint8 state);
    event SurrenderAnswered(bytes32 indexed doc, address indexed carrier, uint8 state, string reason);
    event Released(
        bytes32 indexed doc,
        bytes32 indexed container,
        address indexed holder,
        uint32 carrier,
        uint64 expires,
        address terminal,
        bytes2 country
    );
    event Delegated(bytes32 indexed container, address indexed from, address indexed to, bytes32 ebl, uint32 carrier);
    event PickedUp(
        bytes32 indexed container, address indexed terminal, address indexed holder, bytes32 ebl, uint32 carrier
    );
    /// moveControl's: `record` is the record's new word (see Doc), the actor's number in bits
    /// 208-239; `move`, `ref` and `where` are the call's.
    event ControlMoved(bytes32 indexed doc, uint256 record, uint256 move, bytes32 ref, bytes32 where);

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
    error ConsentRequired(address account);
    error AccountRetired(address account);
    error AccountInUse(address account);
    error UnknownOrganisation(address account);
    error InvalidKind(uint8 kind);
    error RoleRequired(uint16 role, uint16 held, uint8 kind);
    error WrongCountry(bytes2 documentCountry, bytes2 organisationCountry, uint8 kind);
    error CountryMismatch(bytes2 required);
    error AlreadyOnLedger(bytes32 doc);
    error NotOnLedger(bytes32 doc);
    error ReasonRequired();
    error SupersedeItself();
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
    error LiveRightUnderOtherEbl(bytes32 container, bytes32 ebl);
    error ReleasedBefore(bytes32 container);
    error TerminalOrCountry();
    error NotATerminal(address account);
    error ExpiryNotAfterRelease(uint64 expires);
    error NoPickupRight(bytes32 container);
    error AlreadyPickedUp(bytes32 container, uint64 pickedUpAt);
    error RightExpired(uint64 expires);
    error ReleasedUnderOtherEbl(bytes32 ebl);
    error HolderRequired();
    error WrongTerminal(address terminal);
    error WrongPickupCountry(bytes2 country, bytes2 terminalCountry);
    error NotRightHolder(address holder);
    error ControlElsewhere(uint8 control);
    error ControlRefused(uint256 record, uint256 move);

    // --- governance ---------------------------------------------------------------------------

    /// @param countries ISO 3166 alpha-2 codes of the founding members, as two ASCII bytes.
    /// @param authorities each founding country's authority account.
    constructor(bytes2[] memory countries, address[] memory authorities) {
        if (countries.length != authorities.length || countries.length == 0) revert FoundersMismatch();
        for (uint256 i; i < countries.length; ++i) {
            _admit(countries[i], authorities[i]);
        }
    }

    /// A member country votes to admit `country` with `authority`; at 2/3 of the members it is in.
    function voteAdmission(bytes2 country, address authority) external {
        _checkCandidate(country, authority);
        if (_vote(keccak256(abi.encode("admit", country, authority)))) _admit(country, authority);
    }

    /// A member country votes to give `country` a new authority account (a lost or compromised
    /// key); at 2/3 of the members the old account stops acting for it.
    function voteAuthority(bytes2 country, address authority) external {
        address previous = countryAuthority[country];
        if (previous == address(0)) revert InvalidCountry(country);
        if (authority == address(0)) revert ZeroAccount();
        if (authorityCountry[authority] != 0) revert AuthorityAlreadyMember(authority);
        if (_vote(keccak256(abi.encode("authority", country, authority)))) {
            delete authorityCountry[previous];
            authorityCountry[authority] = country;
            countryAuthority[country] = authority;
            emit AuthorityRotated(country, authority, previous);
        }
    }

    /// A country authority registers one of its own organisations' accounts, with its roles and
    /// the SHA-256 digest of its ledger certificate; or updates the roles and certificate of one
    /// it registered before. A new account must consent: `consent` is its signature (EIP-191)
    /// over registrationDigest(account, country, certificate).
    function registerOrganisation(address account, uint16 roles, bytes32 certificate, bytes calldata consent)
        external
    {
        bytes2 mine = authorityCountry[msg.sender];
        if (mine == 0) revert NotCountryAuthority(msg.sender);
        if (account == address(0)) revert ZeroAccount();
        if (roles & ~ALL_ROLES != 0) revert InvalidRoles(roles);
        if (certificate == 0) revert CertificateRequired();
        Org memory org = _orgs[account];
        if (org.retired) revert AccountRetired(account);
        if (org.id != 0 && org.country != mine) revert NotYourOrganisation(org.country);
        if (org.id == 0) {
            if (_signer(registrationDigest(account, mine, certificate), consent) != account) {
                revert ConsentRequired(account);
            }
            org.id = ++organisationCount;
            accountOf[org.id] = account;
        }
        _orgs[account] = Org(org.id, roles, mine, false);
        certificateOf[account] = certificate;
        emit OrganisationRegistered(account, mine, org.id, roles, certificate);
    }

    /// A member country votes to remove an organisation's account; at 2/3 of the members it can
    /// no longer act, and the account can never be registered again. Its records stay.
    function voteRemoval(address account) external {
        uint32 id = _org(account).id;
        if (_vote(keccak256(abi.encode("remove", account)))) {
            _orgs[account] = Org(0, 0, 0, true);
            delete certificateOf[account];
            emit OrganisationRemoved(account, id);
        }
    }

    /// A member country votes to move an organisation to a new account (key rotation); at 2/3 of
    /// the members the new account acts as the organisation (its number, roles, records, eBLs and
    /// rights) and the old one never again. The new account consents: `consent` is its signature
    /// over rotationDigest(account, next, certificate), `certificate` its new ledger certificate.
    function voteRotation(address account, address next, bytes32 certificate, bytes calldata consent) external {
        Org memory org = _org(account);
        if (next == address(0)) revert ZeroAccount();
        if (certificate == 0) revert CertificateRequired();
        if (_orgs[next].id != 0 || _orgs[next].retired) revert AccountInUse(next);
        if (_signer(rotationDigest(account, next, certificate), consent) != next) revert ConsentRequired(next);
        if (_vote(keccak256(abi.encode("rotate", account, next, certificate)))) {
            _orgs[account] = Org(0, 0, 0, true);
            delete certificateOf[account];
            _orgs[next] = org;
            accountOf[org.id] = next;
            certificateOf[next] = certificate;
            emit OrganisationRotated(account, next, org.id);
        }
    }

    /// What an account signs to consent to its registration by `country`'s authority.
    function registrationDigest(address account, bytes2 country, bytes32 certificate) public view returns (bytes32) {
        return keccak256(abi.encode("tdx register", block.chainid, address(this), account, country, certificate));
    }

    /// What a new account signs to consent to taking over organisation `account`.
    function rotationDigest(address account, address next, bytes32 certificate) public view returns (bytes32) {
        return keccak256(abi.encode("tdx rotate", block.chainid, address(this), account, next, certificate));
    }

    // --- documents ----------------------------------------------------------------------------

    /// Issue one document (not an eBL: see issueEbl).
    /// @param kindCountry the kind byte, then the issuing country the document names as two
    ///        ASCII bytes (0x0000 for none): e.g. 0x00 "SG" for a certificate of origin of SG.
    /// @dev The hot path of single anchoring, written flat in assembly (one SLOAD for the
    ///      sender's organisation, one for the record, one SSTORE, one log) to stay under
    ///      TradeTrust's DocumentStore.issue. A refusal takes _issueRefusal, which applies the
    ///      same rules as issueLinked in order and reverts with the error that names the rule.
    function issue(bytes32 doc, bytes3 kindCountry) external {
        bool refused;
        assembly ("memory-safe") {
            let kind := byte(0, kindCountry)
            let code := and(shr(232, kindCountry), 0xffff)
            // ISSUER_ROLES without the eBL (issued by issueEbl); 0 beyond the last kind. Written
            // out: assembly reads only literals (Slither's too-many-digits, accepted).
            let role := and(shr(shl(4, kind), 0x0080000200000004), 0xffff)
            mstore(0, caller())
            mstore(0x20, _orgs.slot)
            let org := sload(keccak256(0, 0x40))
            let id := and(org, 0xffffffff)
            // The sender's record of the digest: keccak256(doc, id, DOCUMENTS), in free memory.
            let p := mload(0x40)
            mstore(p, doc)
            mstore(add(p, 0x20), id)
            mstore(add(p, 0x40), DOCUMENTS)
            let slot := keccak256(p, 0x60)
            refused := or(
                or(iszero(id), iszero(and(shr(32, org), role))),
                or(and(iszero(iszero(code)), iszero(eq(code, and(shr(48, org), 0xffff)))), iszero(iszero(sload(slot))))
            )
            if iszero(refused) {
                let kc := or(shl(96, kind), shl(112, code))
                sstore(slot, or(or(id, kc), or(shl(104, 1), shl(136, timestamp()))))
                mstore(0, doc)
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
        uint32 id = _issuerId(kind, country);
        _create(_record(doc, id), doc, id, 0, kind, country, false);
        emit Issued(doc, _issuedRecord(kind, country));
        emit Linked(doc, containers, links);
    }

    /// Anchor `size` documents under one RFC 9162 Merkle root; each is ISSUED and provable.
    /// @dev The digests stay off chain (calldata alone would cost ~512 gas a document), so
    ///      the chain cannot check that the issuer anchored none of them before; the node does.
    ///      A member's later changes are kept per batch and need its inclusion proof.
    function anchorBatch(bytes32 root, uint8 kind, bytes2 country, uint32 size) external {
        if (kind == KIND_EBL) revert EblNotBatchable();
        if (size == 0) revert EmptyBatch();
        uint32 issuer = _issuerId(kind, country);
        bytes32 key = keccak256(abi.encode(root, issuer));
        if (_batches[key].size != 0) revert BatchExists(root);
        _batches[key] = Batch(issuer, kind, country, uint64(block.timestamp), size);
        emit BatchAnchored(root, msg.sender, kind, country, size);
    }

    /// The issuer amends its document.
    function amend(bytes32 old, bytes32 newDoc, bytes2 country, string calldata reason) external {
        _supersede(old, newDoc, bytes32(0), 0, new bytes32[](0), country, reason, AMENDED);
    }

    /// The issuer replaces its quarantine certificate.
    function replace(bytes32 old, bytes32 newDoc, bytes2 country, string calldata reason) external {
        _supersede(old, newDoc, bytes32(0), 0, new bytes32[](0), country, reason, REPLACED);
    }

    /// amend / replace (`replacing`) a document the sender anchored in its batch `root`, with
    /// the document's inclusion proof.
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
        _supersede(old, newDoc, root, index, proof, country, reason, replacing ? REPLACED : AMENDED);
    }

    /// The issuer revokes its document.
    function revoke(bytes32 doc, string calldata reason) external {
        _revoke(doc, bytes32(0), 0, new bytes32[](0), reason);
    }

    /// The issuer revokes one document of its batch `root` on its own, with its inclusion proof.
    function revokeInBatch(
        bytes32 doc,
        string calldata reason,
        bytes32 root,
        uint256 index,
        bytes32[] calldata proof
    ) external {
        _revoke(doc, root, index, proof, reason);
    }

    // --- eBL control --------------------------------------------------------------------------
    // An eBL is the record (doc, carrier): every function names the carrier's organisation number.

    /// The carrier issues an eBL to its first holder.
    function issueEbl(bytes32 doc, bytes2 country, address holder, bool toOrder, bytes32[] calldata containers)
        external
    {
        uint32 carrier = _issuerId(KIND_EBL, country);
        uint256 slot = _record(doc, carrier);
        if (_word(slot) != 0) revert AlreadyOnLedger(doc);
        _create(slot, doc, carrier, _org(holder).id, KIND_EBL, country, toOrder);
        if (containers.length != 0) containersOf[bytes32(slot)] = keccak256(abi.encodePacked(containers));
        emit EblIssued(doc, msg.sender, holder, toOrder, country, containers);
    }

    function transfer(bytes32 doc, uint32 carrier, address to) external {
        _transfer(doc, carrier, to, false);
    }

    /// Transfer a to-order eBL to an endorsee.
    function endorse(bytes32 doc, uint32 carrier, address to) external {
        _transfer(doc, carrier, to, true);
    }

    /// The holder surrenders the eBL for delivery or for amendment; the carrier controls it
    /// until it accepts or rejects.
    function surrender(bytes32 doc, uint32 carrier, bool forAmendment) external {
        Doc storage d = _ebl(doc, carrier, OUT | CARRIER_ELSEWHERE);
        _controlledBy(d, _org(msg.sender).id);
        uint8 state = forAmendment ? PENDING_SURRENDER_FOR_AMENDMENT : PENDING_SURRENDER_FOR_DELIVERY;
        d.state = state; // `holder` stays: it is the party that surrendered
        emit SurrenderRequested(doc, msg.sender, carrier, state);
    }

    /// SACC: the carrier accepts the pending surrender.
    function accept(bytes32 doc, uint32 carrier) external {
        Doc storage d = _pendingForCarrier(doc, carrier, OUT);
        uint8 state = d.state + 2; // PENDING_* -> SURRENDERED_*
        d.state = state;
        emit SurrenderAnswered(doc, msg.sender, state, "");
    }

    /// SREJ: the carrier rejects the pending surrender; control returns to who surrendered.
    function reject(bytes32 doc, uint32 carrier, string calldata reason) external {
        Doc storage d = _pendingForCarrier(doc, carrier, OUT | SURRENDERED_ELSEWHERE);
        if (bytes(reason).length == 0) revert ReasonRequired();
        d.state = ISSUED;
        emit SurrenderAnswered(doc, msg.sender, ISSUED, reason);
    }

    /// The carrier amends its eBL surrendered for amendment: the old one is VOIDED and the new
    /// one, issued as issueEbl would (the carrier role, in its own country), goes to the party
    /// that surrendered it.
    function amendEbl(
        bytes32 old,
        bytes32 newDoc,
        bytes2 country,
        bool toOrder,
        bytes32[] calldata containers,
        string calldata reason
    ) external {
        if (bytes(reason).length == 0) revert ReasonRequired();
        if (newDoc == old) revert SupersedeItself();
        uint32 carrier = _org(msg.sender).id;
        Doc storage d = _ebl(old, carrier, 15);
        if (d.state != SURRENDERED_FOR_AMENDMENT) revert NotSurrenderedForAmendment(d.state);
        _issuerId(KIND_EBL, country);
        uint256 slot = _record(newDoc, carrier);
        if (_word(slot) != 0) revert AlreadyOnLedger(newDoc);
        d.state = VOIDED;
        _create(slot, newDoc, carrier, d.holder, KIND_EBL, country, toOrder);
        _at(slot).endorsee = d.endorsee;
        if (containers.length != 0) containersOf[bytes32(slot)] = keccak256(abi.encodePacked(containers));
        emit Superseded(old, newDoc, msg.sender, VOIDED, reason);
        emit EblIssued(newDoc, msg.sender, accountOf[d.holder], toOrder, country, containers);
    }

    /// The carrier releases containers of its eBL surrendered for delivery to `to`, who may
    /// collect each once before `expires`, at `terminal`, or (terminal 0) at any terminal of
    /// `country` (0: the country of `to`). `eblContainers` is the eBL's container list, as issued.
    /// A container with a live right (under any eBL) is not released; one released under this
    /// eBL before is not released again, unless its right expired unused (a renewal).
    function release(
        bytes32 doc,
        uint32 carrier,
        bytes32[] calldata eblContainers,
        bytes32[] calldata containers,
        address to,
        uint64 expires,
        address terminal,
        bytes2 country
    ) external {
        Right memory grant;
        {
            Doc storage d = _ebl(doc, carrier, OUT | CARRIER_ELSEWHERE);
            if (d.state != SURRENDERED_FOR_DELIVERY) revert NotSurrenderedForDelivery(d.state);
            if (_org(msg.sender).id != carrier) revert NotCarrier(accountOf[carrier]);
            if (containers.length == 0) revert NoContainers();
            Org memory holder = _org(to);
            grant = Right(doc, holder.id, carrier, 0, 0, expires, 0, country == 0 ? holder.country : country);
            if (terminal != address(0)) {
                if (country != 0) revert TerminalOrCountry();
                Org memory t = _org(terminal);
                if (t.roles & ROLE_TERMINAL == 0) revert NotATerminal(terminal);
                (grant.terminal, grant.country) = (t.id, t.country);
            }
            if (expires <= block.timestamp) revert ExpiryNotAfterRelease(expires);
            if (keccak256(abi.encodePacked(eblContainers)) != containersOf[bytes32(_record(doc, carrier))]) {
                revert ContainerListMismatch();
            }
        }
        for (uint256 i; i < containers.length; ++i) {
            if (_repeated(containers, i)) continue;
            if (!_contains(eblContainers, containers[i])) revert ContainerNotOnEbl(containers[i]);
            _grant(containers[i], grant);
            emit Released(doc, containers[i], to, carrier, expires, terminal, grant.country);
        }
    }

    /// The holder of a pickup right passes it on. `ebl` may be 0 (not checked).
    function delegate(bytes32 container, bytes32 ebl, address to) external {
        Right memory r = _liveRight(container, ebl);
        if (r.holder != _org(msg.sender).id) revert NotRightHolder(accountOf[r.holder]);
        _rights[container].holder = _org(to).id;
        emit Delegated(container, msg.sender, to, r.ebl, r.releasedBy);
    }

    /// A terminal hands the container out, once, to the holder presenting itself at the gate,
    /// if the right is for that terminal (or its country). `ebl` may be 0 (not checked).
    function pickup(bytes32 container, bytes32 ebl, address holder) external {
        Org memory org = _org(msg.sender);
        if (org.roles & ROLE_TERMINAL == 0) revert RoleRequired(ROLE_TERMINAL, org.roles, NO_KIND);
        Right memory r = _liveRight(container, ebl);
        if (holder == address(0)) revert HolderRequired();
        if (r.terminal != 0 && r.terminal != org.id) revert WrongTerminal(accountOf[r.terminal]);
        if (r.country != 0 && r.country != org.country) revert WrongPickupCountry(r.country, org.country);
        address current = accountOf[r.holder];
        if (holder != current) revert NotRightHolder(current);
        Right storage s = _rights[container];
        s.pickedUpAt = uint40(block.timestamp);
        s.pickedUpBy = org.id;
        emit PickedUp(container, msg.sender, current, r.ebl, r.releasedBy);
    }

    // --- exclusive control across platforms -------------------------------------------------

    /// chaincode/external_control.py's operations on an eBL record. `move` packs the call:
    /// `who` (bits 0-159: the party that returned the title, for RECLAIM_EBL), `owner`
    /// (160-191: the record's organisation number), `op` (192-199) and `state` (200-207):
    ///   1 EXPORT_EBL: to a token registry, by the possessor of an ISSUED eBL;
    ///   2 RECLAIM_EBL: home again, by the carrier, a surrender pending (`state`) by `who`;
    ///   3 BEGIN_TRANSFER_OUT: in flight, by its controller (possessor; carrier if pending);
    ///   4 COMPLETE_TRANSFER_OUT: transferred out, leaving in `state`;
    ///   5 CANCEL_TRANSFER_OUT: home again;
    ///   6 RECORD_RECEIVED: arriving in `state` (ISSUED; PENDING_*: a surrender, to the carrier
    ///     here; SURRENDERED_*: SACC of the surrender sent from here) into the record that
    ///     went out, or (bit 7 of `state`: to order) a new one in the sender's own namespace.
    /// `ref` names the transfer (a PINT chain entry checksum, a token id); `where` (the
    /// registry, or the PINT platforms) is only logged.
    /// @dev One function for the six, in assembly on the record's word, with one refusal:
    ///      EIP-170 leaves no room for more. The chaincode names the broken rule (it checks
    ///      first, and again after a revert), the PINT codes behind `state`, and every record
    ///      of the digest on arrival. ControlMoved carries the new word, the actor's number
    ///      in bits 208-239; ControlRefused the word as it was and `move`.
    function moveControl(bytes32 doc, uint256 move, bytes32 ref, bytes32 where) external {
        uint256 slot = _record(doc, uint32(move >> 160));
        assembly ("memory-safe") {
            function orgId(account) -> id {
                mstore(0, account)
                mstore(0x20, _orgs.slot)
                id := and(sload(keccak256(0, 0x40)), 0xffffffff)
            }
            // _awayRef[record]: the transfer moving the record out.
            function refSlot(record) -> s {
                mstore(0, record)
                mstore(0x20, _awayRef.slot)
                s := keccak256(0, 0x40)
            }
            let actor := orgId(caller())
            let op := and(shr(192, move), 0xff)
            let state := and(shr(200, move), 0x7f)
            let w := sload(slot)
            if and(iszero(w), and(eq(op, 6), eq(and(shr(160, move), 0xffffffff), actor))) {
                // New here: the receiver's own record, an ISSUED eBL (to order from bit 7 of
                // `state`), its carrier elsewhere (4), as if transferred out (3).
                w := or(or(actor, shl(128, shr(207, move))), or(shl(136, timestamp()), 0x700000000000000000000000101000000000000000000000000))
            }
            let control := shr(200, w)
            let current := and(shr(104, w), 0xff)
            let possessor := and(shr(32, w), 0xffffffff)
            // Who controls it here: the possessor while ISSUED, else the carrier (its issuer).
            let holder := and(w, 0xffffffff)
            if eq(current, 1) { holder := possessor }
            // An eBL, and an actor; `state` (ops 2, 4) and the current state (1, 3) must be
            // ISSUED or PENDING_* (bits of 0x62).
            let ok := and(iszero(iszero(actor)), eq(and(shr(96, w), 0xff), 1))
            let mine := and(eq(sload(refSlot(slot)), ref), eq(holder, actor)) // the transfer's own
            switch op
            case 2 {
                // RECLAIM_EBL: by the carrier, a surrender (`state`) pending by `who`
                possessor := orgId(shr(96, shl(96, move)))
                ok := and(and(ok, iszero(iszero(possessor))), and(eq(and(control, 3), 1), eq(sload(refSlot(slot)), ref)))
                ok := and(ok, and(eq(and(w, 0xffffffff), actor), and(gt(state, 4), and(shr(state, 0x62), 1))))
                control := 0
            }
            case 6 {
                // RECORD_RECEIVED into the record that went out
                ok := and(ok, eq(and(control, 3), 3))
                switch lt(state, 7)
                case 0 {
                    // SACC: the surrender sent from here was accepted
                    ok := and(ok, eq(state, add(current, 2)))
                    control := and(control, 4)
                }
                default {
                    switch eq(state, 1)
                    case 1 {
                        possessor := actor
                        control := and(control, 4)
                    }
                    default {
                        // A surrender, to the carrier here, from a party elsewhere
                        ok := and(ok, and(gt(state, 4), and(eq(and(w, 0xffffffff), actor), iszero(and(control, 4)))))
                        possessor := 0
                        control := 8
                    }
                }
            }
            case 5 {
                // CANCEL_TRANSFER_OUT: home again
                ok := and(ok, and(eq(and(control, 3), 2), mine))
                control := and(control, 12)
                state := current
            }
            case 4 {
                // COMPLETE_TRANSFER_OUT: transferred out, leaving in `state`
                ok := and(and(ok, eq(and(control, 3), 2)), and(mine, and(shr(state, 0x62), 1)))
                control := or(and(control, 4), 3)
            }
            default {
                // EXPORT_EBL (1: an ISSUED eBL, its carrier here) or BEGIN_TRANSFER_OUT (3), by
                // its controller
                ok := and(and(ok, or(eq(op, 1), eq(op, 3))), eq(holder, actor))
                ok := and(ok, iszero(and(control, add(3, shl(2, eq(op, 1))))))
                ok := and(ok, and(shr(current, 0x62), or(eq(current, 1), eq(op, 3))))
                control := or(control, shr(1, add(op, 1))) // EXPORTED, IN_FLIGHT
                state := current
                sstore(refSlot(slot), ref)
            }
            if iszero(ok) {
                let e := mload(0x40)
                mstore(e, shl(224, 0xe918652d)) // ControlRefused(uint256,uint256)
                mstore(add(e, 4), w)
                mstore(add(e, 0x24), move)
                revert(e, 0x44)
            }
            w := or(
                and(w, not(or(shl(200, 0xff), or(shl(104, 0xff), shl(32, 0xffffffff))))),
                or(shl(32, possessor), or(shl(104, state), shl(200, control)))
            )
            sstore(slot, w)
            let p := mload(0x40)
            mstore(p, or(w, shl(208, actor)))
            mstore(add(p, 0x20), move)
            mstore(add(p, 0x40), ref)
            mstore(add(p, 0x60), where)
            // ControlMoved(bytes32 indexed doc, uint256 record, uint256 move, bytes32 ref, bytes32 where)
            log2(p, 0x80, 0xf39bc1f8cf5e36b1a8b05b67565d376fb7c0f05eef7168e4edbfcae9761a5fb1, doc)
        }
    }

    // --- reads --------------------------------------------------------------------------------

    function organisation(address account) external view returns (uint32 id, uint16 roles, bytes2 country) {
        Org memory o = _orgs[account];
        return (o.id, o.roles, o.country);
    }

    /// Organisation `issuer`'s record of `doc` (state 0: none); `controller` is who controls an
    /// eBL now (0 for other kinds).
    function document(bytes32 doc, uint32 issuer)
        external
        view
        returns (
            uint8 state,
            uint8 kind,
            address issuerAccount,
            bytes2 country,
            uint64 time,
            address controller,
            address surrenderedBy,
            address endorsee,
            bool toOrder,
            uint8 control
        )
    {
        Doc memory d = _at(_record(doc, issuer));
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
            d.toOrder,
            d.control
        );
    }

    function batch(bytes32 root, uint32 issuer)
        external
        view
        returns (address issuerAccount, uint8 kind, bytes2 country, uint64 time, uint32 size)
    {
        Batch memory b = _batches[keccak256(abi.encode(root, issuer))];
        return (accountOf[b.issuer], b.kind, b.country, b.time, b.size);
    }

    /// The state of a document in `issuer`'s batch `root` (ISSUED unless changed on its own),
    /// or 0 when the proof does not show it in that batch.
    function batchDocumentState(bytes32 doc, bytes32 root, uint32 issuer, uint256 index, bytes32[] calldata proof)
        external
        view
        returns (uint8)
    {
        bytes32 key = keccak256(abi.encode(root, issuer));
        Batch memory b = _batches[key];
        if (b.size == 0 || !verifyInclusion(leafHash(doc), index, b.size, proof, root)) return 0;
        uint8 state = _at(_record(doc, uint256(key))).state;
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
            address pickedUpBy,
            address terminal,
            bytes2 country
        )
    {
        Right memory r = _rights[container];
        return (
            r.ebl,
            accountOf[r.holder],
            accountOf[r.releasedBy],
            r.expires,
            r.pickedUpAt,
            accountOf[r.pickedUpBy],
            accountOf[r.terminal],
            r.country
        );
    }

    /// RFC 9162 leaf hash of a document id: sha256(0x00 || "sha256:" || lowercase hex).
    function leafHash(bytes32 doc) public pure returns (bytes32) {
        bytes memory s = new bytes(72);
        assembly ("memory-safe") {
            mstore(add(s, 0x20), shl(192, 0x007368613235363a)) // 0x00 "sha256:"
            for { let i := 0 } lt(i, 32) { i := add(i, 1) } {
                let b := byte(i, doc)
                let at := add(add(s, 0x28), shl(1, i))
                mstore8(at, byte(shr(4, b), "0123456789abcdef"))
                mstore8(add(at, 1), byte(and(b, 15), "0123456789abcdef"))
            }
        }
        return sha256(s);
    }

    /// RFC 9162 section 2.1.3.2: whether `proof` shows `leaf` at `index` in the tree of `size`.
    function verifyInclusion(bytes32 leaf, uint256 index, uint256 size, bytes32[] memory proof, bytes32 root)
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
        emit CountryAdmitted(country, authority, round);
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

    /// The sender's vote for `proposal`; true when it reaches 2/3 of the members (and is decided:
    /// a new round begins, so earlier votes never count twice).
    function _vote(bytes32 proposal) internal returns (bool) {
        if (authorityCountry[msg.sender] == 0) revert NotCountryAuthority(msg.sender);
        bytes32 key = keccak256(abi.encode(proposal, round));
        if (_voted[key][msg.sender]) revert AlreadyVoted();
        _voted[key][msg.sender] = true;
        uint32 count = ++votes[key];
        uint32 members = memberCount;
        emit Voted(proposal, msg.sender, count, members);
        if (uint256(count) * 3 < uint256(members) * 2) return false;
        ++round;
        return true;
    }

    /// The account whose EIP-191 signature `signature` is over `digest` (0 if none).
    function _signer(bytes32 digest, bytes calldata signature) internal pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        // Low s only (EIP-2): one valid signature per message and key.
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) return address(0);
        bytes32 prefixed = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        return ecrecover(prefixed, v, r, s);
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

    /// authority.issue_refusal for the sender: the kind's issuer role, then the country. The
    /// sender's organisation number, which owns the record it issues.
    function _issuerId(uint8 kind, bytes2 country) internal view returns (uint32 id) {
        if (kind > KIND_RAIL) revert InvalidKind(kind);
        Org memory org = _org(msg.sender);
        _authorise(org, kind, country);
        return org.id;
    }

    function _authorise(Org memory org, uint8 kind, bytes2 country) internal pure {
        uint16 role = uint16(ISSUER_ROLES >> (uint256(kind) << 4));
        if (org.roles & role == 0) revert RoleRequired(role, org.roles, kind);
        if (country != 0 && org.country != country) revert WrongCountry(country, org.country, kind);
    }

    /// The storage slot of `owner`'s record of `doc`: keccak256(doc, owner, DOCUMENTS). `owner` is
    /// an organisation number, or the key of a batch for its members' own records.
    function _record(bytes32 doc, uint256 owner) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, doc)
            mstore(add(p, 0x20), owner)
            mstore(add(p, 0x40), DOCUMENTS)
            slot := keccak256(p, 0x60)
        }
    }

    function _at(uint256 slot) internal pure returns (Doc storage d) {
        assembly ("memory-safe") {
            d.slot := slot
        }
    }

    function _word(uint256 slot) internal view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(slot)
        }
    }

    /// Store a new record: one slot, written once (see Doc for the layout).
    function _create(uint256 slot, bytes32 doc, uint32 issuer, uint32 holder, uint8 kind, bytes2 country, bool toOrder)
        internal
    {
        if (_word(slot) != 0) revert AlreadyOnLedger(doc);
        _store(slot, Doc(issuer, holder, 0, kind, ISSUED, country, toOrder, uint64(block.timestamp), 0));
    }

    /// A whole record in one SSTORE (the layout of Doc).
    function _store(uint256 slot, Doc memory d) internal {
        uint256 word = uint256(d.issuer) | (uint256(d.holder) << 32) | (uint256(d.endorsee) << 64)
            | (uint256(d.kind) << 96) | (uint256(d.state) << 104) | (uint256(uint16(d.country)) << 112)
            | (d.toOrder ? uint256(1) << 128 : 0) | (uint256(d.time) << 136) | (uint256(d.control) << 200);
        assembly ("memory-safe") {
            sstore(slot, word)
        }
    }

    /// The sender's record of `doc` to change: its own single record (root 0), or its record as a
    /// member of its batch `root`, proven by `proof` every time. A member not changed before
    /// reads as the batch says (ISSUED) and gets its own record when it changes.
    function _owned(bytes32 doc, bytes32 root, uint256 index, bytes32[] memory proof, uint32 issuer)
        internal
        view
        returns (uint256 slot, Doc memory d)
    {
        if (root == 0) {
            slot = _record(doc, issuer);
            d = _at(slot);
            if (d.state == 0) revert NotOnLedger(doc);
            return (slot, d);
        }
        bytes32 key = keccak256(abi.encode(root, issuer));
        Batch memory b = _batches[key];
        if (b.size == 0) revert UnknownBatch(root);
        if (!verifyInclusion(leafHash(doc), index, b.size, proof, root)) revert InvalidProof();
        slot = _record(doc, uint256(key));
        d = _at(slot);
        if (d.state == 0) d = Doc(b.issuer, 0, 0, b.kind, ISSUED, b.country, false, b.time, 0);
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

    /// lifecycle._supersede for documents other than eBLs (see amendEbl), by their issuer.
    function _supersede(
        bytes32 old,
        bytes32 newDoc,
        bytes32 root,
        uint256 index,
        bytes32[] memory proof,
        bytes2 country,
        string calldata reason,
        uint8 state
    ) internal {
        if (bytes(reason).length == 0) revert ReasonRequired();
        if (newDoc == old) revert SupersedeItself();
        Org memory org = _org(msg.sender);
        (uint256 slot, Doc memory d) = _owned(old, root, index, proof, org.id);
        if (state == REPLACED && d.kind != KIND_PHYTO) revert OnlyPhytoReplaced(d.kind);
        if (d.kind == KIND_EBL) revert EblNeedsEblFunction();
        if (d.state != ISSUED) _stateError(d.state);
        _authorise(org, d.kind, d.country);
        if (country != d.country) revert CountryMismatch(d.country);
        uint256 next = _record(newDoc, org.id);
        if (_word(next) != 0) revert AlreadyOnLedger(newDoc);
        d.state = state;
        _store(slot, d);
        _create(next, newDoc, org.id, 0, d.kind, country, false);
        emit Superseded(old, newDoc, msg.sender, state, reason);
        emit Issued(newDoc, _issuedRecord(d.kind, country));
    }

    function _revoke(bytes32 doc, bytes32 root, uint256 index, bytes32[] memory proof, string calldata reason)
        internal
    {
        if (bytes(reason).length == 0) revert ReasonRequired();
        Org memory org = _org(msg.sender);
        (uint256 slot, Doc memory d) = _owned(doc, root, index, proof, org.id);
        if (d.kind == KIND_EBL) revert EblNotRevocable();
        if (d.state != ISSUED) _stateError(d.state);
        _authorise(org, d.kind, d.country);
        d.state = REVOKED;
        _store(slot, d);
        emit Revoked(doc, msg.sender, root, reason);
    }

    /// The eBL (doc, carrier) for a local control action, refused while its `control` has a
    /// bit of `mask` (OUT covers every away state).
    function _ebl(bytes32 doc, uint32 carrier, uint8 mask) internal view returns (Doc storage d) {
        d = _at(_record(doc, carrier));
        if (d.state == 0) revert NotOnLedger(doc);
        if (d.kind != KIND_EBL) revert NotAnEbl(d.kind);
        if (d.control & mask != 0) revert ControlElsewhere(d.control);
    }

    function _controlledBy(Doc storage d, uint32 actor) internal view {
        if (d.state != ISSUED) _stateError(d.state);
        if (d.holder != actor) revert NotPossessor(accountOf[d.holder]);
    }

    function _transfer(bytes32 doc, uint32 carrier, address to, bool endorsing) internal {
        Doc storage d = _ebl(doc, carrier, OUT);
        uint32 actor = _org(msg.sender).id;
        _controlledBy(d, actor);
        uint32 next = _org(to).id;
        if (next == actor) revert SelfTransfer();
        if (endorsing) {
            if (!d.toOrder) revert NotToOrder();
            d.endorsee = next;
        }
        d.holder = next;
        emit Transferred(doc, msg.sender, to, carrier, endorsing);
    }

    function _pendingForCarrier(bytes32 doc, uint32 carrier, uint8 mask) internal view returns (Doc storage d) {
        d = _ebl(doc, carrier, mask);
        if (d.state != PENDING_SURRENDER_FOR_DELIVERY && d.state != PENDING_SURRENDER_FOR_AMENDMENT) {
            revert NoSurrenderPending(d.state);
        }
        if (_org(msg.sender).id != carrier) revert NotCarrier(accountOf[carrier]);
    }

    /// release's rule for one container: no live right under any eBL, and not released under
    /// this eBL before unless its own right expired unused.
    function _grant(bytes32 container, Right memory grant) internal {
        Right memory current = _rights[container];
        bool own = current.ebl == grant.ebl && current.releasedBy == grant.releasedBy;
        if (current.ebl != 0 && current.pickedUpAt == 0 && block.timestamp < current.expires) {
            if (own) revert AlreadyReleased(container);
            revert LiveRightUnderOtherEbl(container, current.ebl);
        }
        bytes32 key = keccak256(abi.encode(container, grant.ebl, grant.releasedBy));
        if (!(own && current.pickedUpAt == 0) && releasedUnder[key]) revert ReleasedBefore(container);
        releasedUnder[key] = true;
        _rights[container] = grant;
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
