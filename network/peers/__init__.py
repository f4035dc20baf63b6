"""A country's node talking to the other countries' nodes: RFC 9421 signed requests
(``http_signatures``, ``client.PeerClient``), real-time verification queries with signed,
part-by-part checked answers (``answers``, ``asking``), the query audit log, held
checkpoints, the durable ``outbox.Outbox`` (``push(destination_country, kind, payload)``)
and the ``inbox.Inbox``, all tied together for one node by ``service.Peers``.
"""
