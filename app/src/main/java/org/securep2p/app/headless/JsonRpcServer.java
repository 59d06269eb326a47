package org.securep2p.app.headless;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.securep2p.app.files.FileId;
import org.securep2p.app.history.HistoryMessage;
import org.securep2p.crypto.CryptoException;
import org.securep2p.crypto.SecurityLevel;

/**
 * The headless mode: JSON-RPC 2.0 over stdin/stdout, one object per line (the schema is in the README). Requests
 * are answered in order; {@link ChatEvent}s are notifications whose method is the event name. Malformed input
 * gets an error response and the loop goes on: nothing a client writes can crash it.
 *
 * <p>Not its job: anything but translating. The {@link Messenger} does the work.
 */
public final class JsonRpcServer {

    /** Lines longer than this are refused unread to the end (a message is at most 64 KiB of UTF-8). */
    static final int MAX_LINE = 512 * 1024;

    static final int PARSE_ERROR = -32700;
    static final int INVALID_REQUEST = -32600;
    static final int METHOD_NOT_FOUND = -32601;
    static final int INVALID_PARAMS = -32602;
    static final int INTERNAL_ERROR = -32603;

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final int DEFAULT_HISTORY_LIMIT = 50;
    static final int MAX_HISTORY_LIMIT = 1000;

    private final Messenger messenger;
    private final SecurityLevel defaultFloor;
    private final InputStream in;
    private final PrintStream out;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Object outLock = new Object();
    /** The attempt id of the last wait this client opened: {@code accept_answer} without one means it. */
    private volatile String lastWait = "";

    public JsonRpcServer(Messenger messenger, InputStream in, PrintStream out) {
        this(messenger, in, out, SecurityLevel.DEFAULT);
    }

    /** @param defaultFloor the level of {@code wait} and {@code connect} without a {@code level} (the --level) */
    public JsonRpcServer(Messenger messenger, InputStream in, PrintStream out, SecurityLevel defaultFloor) {
        this.defaultFloor = Objects.requireNonNull(defaultFloor);
        this.messenger = Objects.requireNonNull(messenger);
        this.in = Objects.requireNonNull(in);
        this.out = Objects.requireNonNull(out);
        // Peer-chosen strings (names, texts, close details) must not reorder or split an output line.
        mapper.getFactory().setCharacterEscapes(new JsonOutputEscapes());
    }

    /** Serves until {@code quit} or the end of input; returns the process exit status. */
    public int run() throws IOException {
        messenger.addListener(this::notifyEvent);
        notifyEvent(messenger.identity());
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        while (true) {
            String line = readBoundedLine(reader);
            if (line == null) {
                return 0;
            }
            if (line.isBlank()) {
                continue;
            }
            if (handle(line)) {
                return 0;
            }
        }
    }

    private static String readBoundedLine(BufferedReader reader) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        boolean tooLong = false;
        while ((c = reader.read()) != -1) {
            if (c == '\n') {
                return tooLong ? "\u0000too-long" : b.toString();
            }
            if (b.length() < MAX_LINE) {
                b.append((char) c);
            } else {
                tooLong = true;
            }
        }
        return b.length() == 0 && !tooLong ? null : (tooLong ? "\u0000too-long" : b.toString());
    }

    /** Handles one line; true when the client asked to quit. */
    boolean handle(String line) {
        if (line.startsWith("\u0000too-long")) {
            error(null, INVALID_REQUEST, "Request too long", "line longer than " + MAX_LINE + " characters");
            return false;
        }
        JsonNode request;
        try {
            request = mapper.readTree(line);
        } catch (JsonProcessingException e) {
            error(null, PARSE_ERROR, "Parse error", "not JSON");
            return false;
        }
        if (request == null || !request.isObject()) {
            error(null, INVALID_REQUEST, "Invalid Request", "a request is a JSON object");
            return false;
        }
        JsonNode id = request.get("id");
        if (id != null && !(id.isNumber() || id.isTextual() || id.isNull())) {
            error(null, INVALID_REQUEST, "Invalid Request", "id must be a number, a string or null");
            return false;
        }
        if (!"2.0".equals(text(request.get("jsonrpc")))) {
            error(id, INVALID_REQUEST, "Invalid Request", "jsonrpc must be \"2.0\"");
            return false;
        }
        String method = text(request.get("method"));
        if (method == null) {
            error(id, INVALID_REQUEST, "Invalid Request", "method must be a string");
            return false;
        }
        // A valid request without an id is a notification: JSON-RPC 2.0 never answers one, not even with an
        // error (section 4.1); only a request that is not valid at all gets an error with a null id.
        boolean notification = id == null;
        JsonNode params = request.get("params");
        if (params != null && !params.isObject()) {
            if (!notification) {
                error(id, INVALID_PARAMS, "Invalid params", "params must be an object");
            }
            return false;
        }
        ObjectNode p = params == null ? F.objectNode() : (ObjectNode) params;
        try {
            JsonNode result = dispatch(method, p);
            if (result == null) {
                if (!notification) {
                    error(id, METHOD_NOT_FOUND, "Method not found", "no method '" + clip(method) + "'");
                }
                return false;
            }
            if (!notification) {
                ObjectNode response = F.objectNode().put("jsonrpc", "2.0");
                response.set("id", id);
                response.set("result", result);
                write(response);
            }
            return "quit".equals(method);
        } catch (BadParams e) {
            if (!notification) {
                error(id, INVALID_PARAMS, "Invalid params", e.getMessage());
            }
        } catch (AppException e) {
            if (!notification) {
                ObjectNode data = F.objectNode().put("reason", e.reason().name());
                errorWithData(id, e.code(), e.getMessage(), data);
            }
        } catch (RuntimeException e) {
            if (!notification) {
                error(id, INTERNAL_ERROR, "Internal error", e.getClass().getSimpleName());
            }
        }
        return false;
    }

    /**
     * The params each method takes (README). Any other key is refused: a misspelt one ({"to": "bob"}) must not
     * fall back to a default such as "the only connected peer".
     */
    private static final java.util.Map<String, java.util.Set<String>> PARAMS = java.util.Map.ofEntries(
            java.util.Map.entry("identity", java.util.Set.of()),
            java.util.Map.entry("stun", java.util.Set.of()),
            java.util.Map.entry("wait", java.util.Set.of("level")),
            java.util.Map.entry("connect", java.util.Set.of("code", "level")),
            java.util.Map.entry("accept_answer", java.util.Set.of("attempt", "code")),
            java.util.Map.entry("cancel", java.util.Set.of("attempt")),
            java.util.Map.entry("open", java.util.Set.of("peer", "name")),
            java.util.Map.entry("members", java.util.Set.of()),
            java.util.Map.entry("accept_request", java.util.Set.of("id")),
            java.util.Map.entry("decline_request", java.util.Set.of("id")),
            java.util.Map.entry("block", java.util.Set.of("name")),
            java.util.Map.entry("unblock", java.util.Set.of("name")),
            java.util.Map.entry("send", java.util.Set.of("peer", "text")),
            java.util.Map.entry("conversations", java.util.Set.of()),
            java.util.Map.entry("history", java.util.Set.of("peer", "before", "limit")),
            java.util.Map.entry("rename", java.util.Set.of("peer", "name")),
            java.util.Map.entry("mark_read", java.util.Set.of("peer")),
            java.util.Map.entry("clear_history", java.util.Set.of("peer")),
            java.util.Map.entry("peers", java.util.Set.of()),
            java.util.Map.entry("trust", java.util.Set.of("fingerprint", "decision")),
            java.util.Map.entry("verify", java.util.Set.of("peer", "confirm")),
            java.util.Map.entry("disconnect", java.util.Set.of("peer")),
            java.util.Map.entry("send_file", java.util.Set.of("peer", "path")),
            java.util.Map.entry("accept_file", java.util.Set.of("id")),
            java.util.Map.entry("decline_file", java.util.Set.of("id")),
            java.util.Map.entry("cancel_file", java.util.Set.of("id")),
            java.util.Map.entry("transfers", java.util.Set.of()),
            java.util.Map.entry("quit", java.util.Set.of()));

    // Every case returns: the colon form reads as the method table it is; arrows would wrap each return in a block.
    @SuppressWarnings("StatementSwitchToExpressionSwitch")
    private JsonNode dispatch(String method, ObjectNode p) throws AppException, BadParams {
        java.util.Set<String> allowed = PARAMS.get(method);
        if (allowed != null) {
            for (java.util.Iterator<String> keys = p.fieldNames(); keys.hasNext(); ) {
                String key = keys.next();
                if (!allowed.contains(key)) {
                    throw new BadParams("'" + clip(key) + "' is not a parameter of " + method
                            + (allowed.isEmpty() ? " (it takes none)" : " (it takes " + String.join(", ",
                                    new java.util.TreeSet<>(allowed)) + ")"));
                }
            }
        }
        switch (method) {
            case "identity": {
                ChatEvent.Ready r = messenger.identity();
                return F.objectNode().put("fingerprint", r.fingerprint()).put("username", r.username())
                        .put("key_protection", r.keyProtection()).put("memory_protection", r.memoryProtection())
                        .put("trust_model", r.trustModel());
            }
            case "stun":
                return endpoint(messenger.discoverEndpoint());
            case "wait": {
                ChatEvent.Endpoint e = messenger.waitForPeer(level(p));
                lastWait = e.attempt();
                return endpoint(e);
            }
            case "connect":
                return F.objectNode().put("status", "connecting")
                        .put("attempt", messenger.connect(required(p, "code"), level(p)));
            case "accept_answer": {
                // Without "attempt": the last wait this client opened (scripts written for one wait at a time).
                String attempt = optional(p, "attempt");
                messenger.acceptAnswer(attempt != null ? attempt : lastWait, required(p, "code"));
                return F.objectNode().put("status", "accepted");
            }
            case "cancel":
                messenger.cancel(required(p, "attempt"));
                return F.objectNode().put("status", "cancelled");
            case "open": {
                // {name}: a member of the organisation by certified name (§23.4); {peer}: a contact (§22.7).
                String name = optional(p, "name");
                if (name != null && p.hasNonNull("peer")) {
                    throw new BadParams("open takes either peer or name, not both");
                }
                Messenger.Opened o = name != null ? messenger.openMember(name) : messenger.open(required(p, "peer"));
                return o.alreadyConnected() ? F.objectNode().put("status", "connected")
                        : F.objectNode().put("status", "opening").put("attempt", o.attempt());
            }
            case "members": {
                ArrayNode list = F.arrayNode();
                for (Messenger.MemberInfo m : messenger.members()) {
                    list.addObject().put("name", m.name()).put("fingerprint", m.fingerprint()).put("online", m.online())
                            .put("conversation", m.conversation()).put("blocked", m.blocked());
                }
                return list;
            }
            case "accept_request":
                messenger.acceptRequest(required(p, "id"));
                return F.objectNode().put("status", "accepted");
            case "decline_request":
                messenger.declineRequest(required(p, "id"));
                return F.objectNode().put("status", "declined");
            case "block":
                messenger.block(required(p, "name"));
                return F.objectNode().put("status", "blocked");
            case "unblock":
                return F.objectNode().put("status", messenger.unblock(required(p, "name")) ? "unblocked"
                        : "not blocked");
            case "send":
                return F.objectNode().put("id", messenger.send(optional(p, "peer"), required(p, "text")));
            case "conversations": {
                ArrayNode list = F.arrayNode();
                for (Messenger.ConversationInfo c : messenger.conversations()) {
                    ObjectNode o = list.addObject().put("peer", c.peer()).put("name", c.name())
                            .put("connected", c.connected()).put("unread", c.unread()).put("state", c.state());
                    if (c.lastTime().isPresent()) {
                        o.put("last_time", c.lastTime().get().toString());
                    } else {
                        o.putNull("last_time");
                    }
                    if (c.relay().isPresent()) {
                        o.put("relay", c.relay().get());
                    }
                    if (c.path().isPresent()) {
                        o.put("path", c.path().get());
                    }
                }
                return list;
            }
            case "history": {
                Optional<Long> before = Optional.empty();
                JsonNode b = p.get("before");
                if (b != null && !b.isNull()) {
                    if (!b.canConvertToLong() || !b.isIntegralNumber()) {
                        throw new BadParams("before must be an integer (a message's position)");
                    }
                    before = Optional.of(b.longValue());
                }
                int limit = DEFAULT_HISTORY_LIMIT;
                JsonNode l = p.get("limit");
                if (l != null && !l.isNull()) {
                    if (!l.isIntegralNumber() || !l.canConvertToInt() || l.intValue() < 1
                            || l.intValue() > MAX_HISTORY_LIMIT) {
                        throw new BadParams("limit must be an integer from 1 to " + MAX_HISTORY_LIMIT);
                    }
                    limit = l.intValue();
                }
                ArrayNode list = F.arrayNode();
                for (HistoryMessage m : messenger.history(required(p, "peer"), before, limit)) {
                    ObjectNode o = list.addObject().put("position", m.position()).put("id", m.id())
                            .put("time", m.time().toString())
                            .put("direction", m.direction().name().toLowerCase(Locale.ROOT))
                            .put("text", m.text()).put("state", m.delivery().name().toLowerCase(Locale.ROOT))
                            .put("read", m.read());
                    m.failureReason().ifPresent(reason -> o.put("reason", reason));
                }
                return list;
            }
            case "rename":
                messenger.rename(required(p, "peer"), required(p, "name"));
                return F.objectNode().put("status", "ok");
            case "mark_read":
                messenger.markRead(required(p, "peer"));
                return F.objectNode().put("status", "ok");
            case "clear_history":
                return F.objectNode().put("removed", messenger.clearHistory(required(p, "peer")));
            case "peers": {
                ArrayNode list = F.arrayNode();
                for (Messenger.PeerInfo peer : messenger.peers()) {
                    ObjectNode o = list.addObject().put("fingerprint", peer.fingerprint())
                            .put("first_seen", peer.firstSeen()).put("last_seen", peer.lastSeen())
                            .put("last_address", peer.lastAddress()).put("verified", peer.verified())
                            .put("origin", peer.origin());
                    ArrayNode names = o.putArray("names");
                    peer.names().forEach(names::add);
                }
                return list;
            }
            case "trust": {
                String decision = required(p, "decision").toUpperCase(Locale.ROOT);
                Messenger.TrustDecision d;
                try {
                    d = Messenger.TrustDecision.valueOf(decision);
                } catch (IllegalArgumentException e) {
                    throw new BadParams("decision must be accept, reject, verify, untrust, accept_once or refuse");
                }
                messenger.decide(required(p, "fingerprint"), d);
                return F.objectNode().put("status", "ok");
            }
            case "verify": {
                String named = optional(p, "peer");
                String peer = named != null ? named : onlyConnected();
                // A named peer without a safety number is no contact; without a name, nobody is connected.
                String number = messenger.safetyNumber(peer).orElseThrow(() -> named != null
                        ? new AppException(AppException.Reason.UNKNOWN_PEER, "No contact is called that.")
                        : new AppException(AppException.Reason.NOT_CONNECTED, "No peer to verify."));
                JsonNode confirm = p.get("confirm");
                if (confirm != null && !confirm.isBoolean()) {
                    throw new BadParams("confirm must be true or false");
                }
                if (confirm != null && confirm.booleanValue()) {
                    messenger.markVerified(peer);
                }
                return F.objectNode().put("safety_number", number)
                        .put("verified", confirm != null && confirm.booleanValue());
            }
            case "disconnect":
                messenger.disconnect(optional(p, "peer"));
                return F.objectNode().put("status", "disconnected");
            case "send_file":
                return F.objectNode().put("id", messenger.sendFile(required(p, "peer"), path(p)));
            case "accept_file":
                messenger.acceptFile(fileId(p));
                return F.objectNode().put("status", "accepted");
            case "decline_file":
                messenger.declineFile(fileId(p));
                return F.objectNode().put("status", "declined");
            case "cancel_file":
                messenger.cancelFile(fileId(p));
                return F.objectNode().put("status", "cancelled");
            case "transfers": {
                ArrayNode list = F.arrayNode();
                for (Messenger.TransferInfo t : messenger.transfers()) {
                    list.addObject().put("id", t.id()).put("peer", t.peer()).put("name", t.name())
                            .put("outgoing", t.outgoing()).put("bytes", t.bytes()).put("total", t.total())
                            .put("rate", t.rate()).put("state", t.state()).put("path", t.path());
                }
                return list;
            }
            case "quit":
                return F.objectNode().put("status", "bye");
            default:
                return null;
        }
    }

    /** The one connected conversation, for calls that may omit {@code peer} while exactly one is connected. */
    private String onlyConnected() throws AppException {
        List<String> connected = messenger.conversations().stream().filter(Messenger.ConversationInfo::connected)
                .map(Messenger.ConversationInfo::peer).toList();
        if (connected.size() != 1) {
            throw new AppException(AppException.Reason.NOT_CONNECTED, connected.isEmpty()
                    ? "No conversation is connected." : "Several conversations are connected: say which peer.");
        }
        return connected.get(0);
    }

    private static ObjectNode endpoint(ChatEvent.Endpoint e) {
        return F.objectNode().put("attempt", e.attempt()).put("code", e.code()).put("endpoint", e.endpoint()).put("nat", e.nat())
                .put("advice", e.natAdvice()).put("answer_needed", e.answerNeeded());
    }

    private SecurityLevel level(ObjectNode p) throws BadParams {
        String level = p.hasNonNull("level") ? text(p.get("level")) : null;
        if (p.hasNonNull("level") && level == null) {
            throw new BadParams("level must be a string");
        }
        if (level == null) {
            return defaultFloor;
        }
        try {
            return SecurityLevel.valueOf(level.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadParams("level must be STANDARD, ENHANCED or QUANTUM_RESISTANT");
        }
    }

    /** A string parameter that may be absent or null; anything else is refused. */
    private static String optional(ObjectNode p, String name) throws BadParams {
        JsonNode n = p.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new BadParams("'" + name + "' must be a string");
        }
        return n.textValue();
    }

    /**
     * The file a {@code send_file} names: a non-blank string the platform can read as a path (relative ones are
     * relative to the process's working directory; whether it is a readable file is the messenger's to say).
     */
    private static Path path(ObjectNode p) throws BadParams {
        String path = required(p, "path");
        if (path.isBlank()) {
            throw new BadParams("'path' must name a file");
        }
        try {
            return Path.of(path);
        } catch (InvalidPathException e) {
            // Not the platform's message: it would echo the client's string back, NUL and all.
            throw new BadParams("'path' is not a valid path on this system");
        }
    }

    /** A transfer id: 32 hex digits (case ignored), handed on in lower case as the events write it. */
    private static String fileId(ObjectNode p) throws BadParams {
        try {
            return FileId.parse(required(p, "id")).hex();
        } catch (CryptoException e) {
            throw new BadParams("'id' must be a transfer id (32 hex digits)");
        }
    }

    private static String required(ObjectNode p, String name) throws BadParams {
        String v = text(p.get(name));
        if (v == null) {
            throw new BadParams("'" + name + "' is required and must be a string");
        }
        return v;
    }

    private static String text(JsonNode n) {
        return n != null && n.isTextual() ? n.textValue() : null;
    }

    private static String clip(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "…" : s;
    }

    /** Event → notification; the method is the event's name in the README's schema. */
    private void notifyEvent(ChatEvent event) {
        ObjectNode params = F.objectNode();
        String method;
        if (event instanceof ChatEvent.Ready r) {
            method = "ready";
            params.put("fingerprint", r.fingerprint()).put("username", r.username())
                    .put("key_protection", r.keyProtection()).put("memory_protection", r.memoryProtection())
                        .put("trust_model", r.trustModel());
        } else if (event instanceof ChatEvent.Progress pr) {
            method = "progress";
            params.put("attempt", pr.attempt()).put("stage", pr.stage().name().toLowerCase(Locale.ROOT)).put("elapsed_ms", pr.elapsed().toMillis())
                    .put("detail", pr.detail());
        } else if (event instanceof ChatEvent.Endpoint e) {
            method = "endpoint";
            params = endpoint(e);
        } else if (event instanceof ChatEvent.AnswerCode a) {
            method = "answer_code";
            params.put("attempt", a.attempt()).put("code", a.code());
        } else if (event instanceof ChatEvent.Connected c) {
            method = "connected";
            // "fingerprint" repeats "peer" for scripts written before conversations were named by it.
            params.put("peer", c.peer()).put("attempt", c.attempt()).put("name", c.name())
                    .put("fingerprint", c.peer()).put("safety_number", c.safetyNumber())
                    .put("level", c.level().name()).put("path", c.path()).put("trust", c.trust().label())
                    .put("resumed", c.resumed()).put("verified", c.verified()).put("key_exchange", c.keyExchange())
                    .put("elapsed_ms", c.elapsed().toMillis());
            if (c.certifiedName().isPresent()) {
                params.put("peer_id", c.certifiedName().get()); // organisation mode: the CA-certified name
            }
        } else if (event instanceof ChatEvent.MessageReceived m) {
            method = "message";
            params.put("peer", m.peer()).put("from", m.from()).put("text", m.text()).put("id", m.id()).put("time", m.time().toString());
        } else if (event instanceof ChatEvent.Delivered d) {
            method = "delivered";
            params.put("peer", d.peer()).put("id", d.id());
        } else if (event instanceof ChatEvent.Relayed r) {
            method = "relayed";
            params.put("peer", r.peer()).put("id", r.id());
        } else if (event instanceof ChatEvent.SendFailed f) {
            method = "send_failed";
            params.put("peer", f.peer()).put("id", f.id()).put("reason", f.reason());
        } else if (event instanceof ChatEvent.PeerChanged pc) {
            method = "peer_changed";
            params.put("peer", pc.peer()).put("name", pc.name()).put("old_fingerprint", pc.oldFingerprint())
                    .put("new_fingerprint", pc.newFingerprint()).put("explanation", pc.explanation());
        } else if (event instanceof ChatEvent.StrangerAsks a) {
            method = "stranger";
            params.put("peer", a.peer()).put("name", a.name()).put("address", a.address())
                    .put("level", a.level().name());
        } else if (event instanceof ChatEvent.Disconnected d) {
            method = "disconnected";
            params.put("peer", d.peer()).put("kind", d.kind().name().toLowerCase(Locale.ROOT)).put("reason", d.reason())
                    .put("undelivered", d.undelivered());
        } else if (event instanceof ChatEvent.Notice n) {
            method = "notice";
            params.put("text", n.text());
        } else if (event instanceof ChatEvent.ChatRequest r) {
            method = "chat_request";
            params.put("id", r.id()).put("name", r.name()).put("fingerprint", r.fingerprint())
                    .put("level", r.level().name());
        } else if (event instanceof ChatEvent.FileOffered o) {
            method = "file_offer";
            params.put("peer", o.peer()).put("id", o.id()).put("name", o.name()).put("size", o.size())
                    .put("media_type", o.mediaType()).put("auto_accepted", o.autoAccepted());
        } else if (event instanceof ChatEvent.FileProgress fp) {
            method = "file_progress";
            params.put("peer", fp.peer()).put("id", fp.id()).put("bytes", fp.bytes()).put("total", fp.total())
                    .put("rate", fp.rate());
        } else if (event instanceof ChatEvent.FileDone d) {
            method = "file_done";
            params.put("peer", d.peer()).put("id", d.id()).put("path", d.path()).put("sha256", d.sha256());
        } else if (event instanceof ChatEvent.FileFailed f) {
            method = "file_failed";
            params.put("peer", f.peer()).put("id", f.id()).put("reason", f.reason());
        } else if (event instanceof ChatEvent.Failure f) {
            method = "error";
            params.put("attempt", f.attempt()).put("reason", f.reason());
        } else if (event instanceof ChatEvent.ConversationsChanged) {
            method = "conversations_changed";
        } else {
            return;
        }
        ObjectNode n = F.objectNode().put("jsonrpc", "2.0").put("method", method);
        n.set("params", params);
        write(n);
    }

    private void error(JsonNode id, int code, String message, String reason) {
        errorWithData(id, code, message, F.objectNode().put("reason", reason));
    }

    private void errorWithData(JsonNode id, int code, String message, ObjectNode data) {
        ObjectNode response = F.objectNode().put("jsonrpc", "2.0");
        response.set("id", id == null ? F.nullNode() : id);
        ObjectNode error = response.putObject("error").put("code", code).put("message", message);
        error.set("data", data);
        write(response);
    }

    private void write(ObjectNode node) {
        String line;
        try {
            line = mapper.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a tree of our own", e);
        }
        synchronized (outLock) {
            out.print(line);
            out.print('\n');
            out.flush();
        }
    }

    private static final class BadParams extends Exception {
        BadParams(String message) {
            super(message);
        }
    }
}
