package org.securep2p.app.headless;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;

import org.junit.jupiter.api.Test;
import org.securep2p.app.AppException;
import org.securep2p.app.ChatEvent;
import org.securep2p.app.Messenger;
import org.securep2p.crypto.SecurityLevel;

class JsonRpcServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RecordingMessenger messenger = new RecordingMessenger();

    /** Runs the server over {@code input} and returns every line it wrote, parsed. */
    private List<JsonNode> serve(String input) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonRpcServer server = new JsonRpcServer(messenger,
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(server.run()).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n", -1)) {
            if (!line.isEmpty()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private static JsonNode response(List<JsonNode> lines, int id) {
        return lines.stream().filter(n -> n.path("id").isInt() && n.get("id").intValue() == id).findFirst()
                .orElseThrow(() -> new AssertionError("no response " + id + " in " + lines));
    }

    @Test
    void announcesReadyFirstWithTheIdentity() throws Exception {
        List<JsonNode> lines = serve("");
        assertThat(lines.get(0).get("method").asText()).isEqualTo("ready");
        assertThat(lines.get(0).get("params").get("username").asText()).isEqualTo("alice");
        assertThat(lines.get(0).has("id")).isFalse();
    }

    @Test
    void answersRequestsWithResults() throws Exception {
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"wait","params":{"level":"enhanced"}}
                {"jsonrpc":"2.0","id":2,"method":"connect","params":{"code":"sp2p1o-XYZ"}}
                {"jsonrpc":"2.0","id":3,"method":"send","params":{"text":"hi"}}
                {"jsonrpc":"2.0","id":4,"method":"peers"}
                {"jsonrpc":"2.0","id":5,"method":"trust","params":{"fingerprint":"CCCC","decision":"verify"}}
                {"jsonrpc":"2.0","id":6,"method":"verify"}
                {"jsonrpc":"2.0","id":7,"method":"quit"}
                {"jsonrpc":"2.0","id":8,"method":"send","params":{"text":"after quit"}}
                """);
        assertThat(response(lines, 1).get("result").get("code").asText()).isEqualTo("sp2p1o-CODE");
        assertThat(response(lines, 1).get("result").get("attempt").asText()).isEqualTo("a1");
        assertThat(response(lines, 2).get("result").get("status").asText()).isEqualTo("connecting");
        assertThat(response(lines, 2).get("result").get("attempt").asText()).isEqualTo("a2");
        assertThat(response(lines, 3).get("result").get("id").asText()).hasSize(32);
        assertThat(response(lines, 4).get("result").get(0).get("names").get(0).asText()).isEqualTo("bob");
        assertThat(response(lines, 6).get("result").get("safety_number").asText()).hasSize(60);
        assertThat(response(lines, 7).get("result").get("status").asText()).isEqualTo("bye");
        assertThat(messenger.calls).containsExactly("wait ENHANCED", "connect sp2p1o-XYZ QUANTUM_RESISTANT",
                "send null hi", "decide CCCC VERIFY");
        assertThat(lines).noneMatch(n -> n.path("id").asInt() == 8);
    }

    @Test
    void openReconnectsAContactWithoutACodeAndSaysWhenItIsConnectedAlready() throws Exception {
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"open","params":{"peer":"bob"}}
                {"jsonrpc":"2.0","id":2,"method":"open","params":{"peer":"connected"}}
                {"jsonrpc":"2.0","id":3,"method":"open"}
                """);
        assertThat(response(lines, 1).get("result").get("status").asText()).isEqualTo("opening");
        assertThat(response(lines, 1).get("result").get("attempt").asText()).isEqualTo("a9");
        assertThat(response(lines, 2).get("result").get("status").asText()).isEqualTo("connected");
        assertThat(response(lines, 2).get("result").has("attempt")).isFalse();
        assertThat(response(lines, 3).get("error").get("code").asInt()).isEqualTo(JsonRpcServer.INVALID_PARAMS);
        assertThat(messenger.calls).containsExactly("open bob", "open connected");
    }

    @Test
    void theDirectoryMethodsListOpenAnswerAndBlockMembersByName() throws Exception {
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"members"}
                {"jsonrpc":"2.0","id":2,"method":"open","params":{"name":"Control-Bravo"}}
                {"jsonrpc":"2.0","id":3,"method":"open","params":{"name":"Control-Bravo","peer":"bob"}}
                {"jsonrpc":"2.0","id":4,"method":"accept_request","params":{"id":"0a0b"}}
                {"jsonrpc":"2.0","id":5,"method":"decline_request","params":{"id":"0c0d"}}
                {"jsonrpc":"2.0","id":6,"method":"block","params":{"name":"Control-Alpha"}}
                {"jsonrpc":"2.0","id":7,"method":"unblock","params":{"name":"Control-Alpha"}}
                {"jsonrpc":"2.0","id":8,"method":"members","params":{"online":true}}
                """);
        JsonNode members = response(lines, 1).get("result");
        assertThat(members.get(0).get("name").asText()).isEqualTo("Control-Bravo");
        assertThat(members.get(0).get("online").asBoolean()).isTrue();
        assertThat(members.get(0).get("conversation").asBoolean()).isFalse();
        assertThat(members.get(1).get("online").asBoolean()).isFalse();
        assertThat(members.get(1).get("blocked").asBoolean()).isTrue();
        assertThat(response(lines, 2).get("result").get("status").asText()).isEqualTo("opening");
        assertThat(response(lines, 2).get("result").get("attempt").asText()).isEqualTo("a10");
        assertThat(response(lines, 3).get("error").get("code").asInt()).isEqualTo(JsonRpcServer.INVALID_PARAMS);
        assertThat(response(lines, 4).get("result").get("status").asText()).isEqualTo("accepted");
        assertThat(response(lines, 5).get("result").get("status").asText()).isEqualTo("declined");
        assertThat(response(lines, 6).get("result").get("status").asText()).isEqualTo("blocked");
        assertThat(response(lines, 7).get("result").get("status").asText()).isEqualTo("unblocked");
        assertThat(response(lines, 8).get("error").get("code").asInt()).isEqualTo(JsonRpcServer.INVALID_PARAMS);
        assertThat(messenger.calls).containsExactly("members", "openMember Control-Bravo", "accept_request 0a0b",
                "decline_request 0c0d", "block Control-Alpha", "unblock Control-Alpha");
    }

    @Test
    void aChatRequestIsANotificationWithItsIdNameFingerprintAndLevel() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonRpcServer server = new JsonRpcServer(messenger, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        server.run();
        messenger.emit(new ChatEvent.ChatRequest("0a0b", "Control-Alpha", "AAAA", SecurityLevel.ENHANCED));
        JsonNode n = JSON.readTree(out.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("chat_request")).findFirst().orElseThrow());
        assertThat(n.get("params").get("id").asText()).isEqualTo("0a0b");
        assertThat(n.get("params").get("name").asText()).isEqualTo("Control-Alpha");
        assertThat(n.get("params").get("fingerprint").asText()).isEqualTo("AAAA");
        assertThat(n.get("params").get("level").asText()).isEqualTo("ENHANCED");
    }

    @Test
    void aStrangerOnThePortIsANotificationAnsweredWithTrust() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonRpcServer server = new JsonRpcServer(messenger, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        server.run();
        messenger.emit(new ChatEvent.StrangerAsks("EEEE", "carol", "127.0.0.1:40123", SecurityLevel.ENHANCED));
        JsonNode n = JSON.readTree(out.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("\"stranger\"")).findFirst().orElseThrow());
        assertThat(n.get("params").get("peer").asText()).isEqualTo("EEEE");
        assertThat(n.get("params").get("name").asText()).isEqualTo("carol");
        assertThat(n.get("params").get("address").asText()).isEqualTo("127.0.0.1:40123");
        assertThat(n.get("params").get("level").asText()).isEqualTo("ENHANCED");

        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"trust","params":{"fingerprint":"EEEE","decision":"accept_once"}}
                {"jsonrpc":"2.0","id":2,"method":"trust","params":{"fingerprint":"EEEE","decision":"refuse"}}
                """);
        assertThat(response(lines, 1).get("result").get("status").asText()).isEqualTo("ok");
        assertThat(response(lines, 2).get("result").get("status").asText()).isEqualTo("ok");
        assertThat(messenger.calls).containsExactly("decide EEEE ACCEPT_ONCE", "decide EEEE REFUSE");
    }

    @Test
    void aRelayedMessageIsANotificationAndTheListSaysTheContactsRelayAndPath() throws Exception {
        messenger.conversations = List.of(new Messenger.ConversationInfo("CCCC", "bob", false, 0, Optional.empty(),
                "idle", Optional.of("relay.example:443"), Optional.of("relay")), new Messenger.ConversationInfo("DDDD",
                        "carol", true, 0, Optional.empty(), "connected"));
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"conversations"}
                """);
        JsonNode list = response(lines, 1).get("result");
        assertThat(list.get(0).get("relay").asText()).isEqualTo("relay.example:443");
        assertThat(list.get(0).get("path").asText()).isEqualTo("relay");
        assertThat(list.get(1).has("relay")).isFalse();
        assertThat(list.get(1).has("path")).isFalse();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonRpcServer server = new JsonRpcServer(messenger, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        server.run();
        messenger.emit(new ChatEvent.Relayed("CCCC", "ef"));
        JsonNode n = JSON.readTree(out.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("relayed")).findFirst().orElseThrow());
        assertThat(n.get("method").asText()).isEqualTo("relayed");
        assertThat(n.get("params").get("peer").asText()).isEqualTo("CCCC");
        assertThat(n.get("params").get("id").asText()).isEqualTo("ef");
    }

    @Test
    void theConversationMethodsNameTheirPeerAndAnswerWithItsData() throws Exception {
        messenger.history = List.of(new org.securep2p.app.history.HistoryMessage(7, "ab", Instant.EPOCH,
                org.securep2p.app.history.HistoryMessage.Direction.SENT, "hi",
                org.securep2p.app.history.HistoryMessage.Delivery.FAILED, Optional.of("refused"), true));
        messenger.conversations = List.of(new Messenger.ConversationInfo("CCCC", "bob", true, 2,
                Optional.of(Instant.EPOCH), "connected"), new Messenger.ConversationInfo("DDDD", "carol", false, 0,
                Optional.empty(), "idle"));
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"send","params":{"peer":"carol","text":"queued"}}
                {"jsonrpc":"2.0","id":2,"method":"conversations"}
                {"jsonrpc":"2.0","id":3,"method":"history","params":{"peer":"bob","before":9,"limit":20}}
                {"jsonrpc":"2.0","id":4,"method":"history","params":{"peer":"bob"}}
                {"jsonrpc":"2.0","id":5,"method":"rename","params":{"peer":"DDDD","name":"Caroline"}}
                {"jsonrpc":"2.0","id":6,"method":"mark_read","params":{"peer":"bob"}}
                {"jsonrpc":"2.0","id":7,"method":"clear_history","params":{"peer":"bob"}}
                {"jsonrpc":"2.0","id":8,"method":"disconnect","params":{"peer":"bob"}}
                {"jsonrpc":"2.0","id":9,"method":"cancel","params":{"attempt":"a4"}}
                {"jsonrpc":"2.0","id":10,"method":"wait"}
                {"jsonrpc":"2.0","id":11,"method":"accept_answer","params":{"code":"sp2p1a-X"}}
                {"jsonrpc":"2.0","id":12,"method":"accept_answer","params":{"attempt":"a9","code":"sp2p1a-Y"}}
                {"jsonrpc":"2.0","id":13,"method":"history","params":{"peer":"bob","limit":0}}
                {"jsonrpc":"2.0","id":14,"method":"history","params":{"peer":"bob","before":"x"}}
                {"jsonrpc":"2.0","id":15,"method":"send","params":{"peer":7,"text":"x"}}
                {"jsonrpc":"2.0","id":16,"method":"disconnect"}
                """);
        JsonNode list = response(lines, 2).get("result");
        assertThat(list.get(0).get("peer").asText()).isEqualTo("CCCC");
        assertThat(list.get(0).get("unread").asInt()).isEqualTo(2);
        assertThat(list.get(0).get("last_time").asText()).isEqualTo("1970-01-01T00:00:00Z");
        assertThat(list.get(0).get("state").asText()).isEqualTo("connected");
        assertThat(list.get(1).get("last_time").isNull()).isTrue();
        JsonNode m = response(lines, 3).get("result").get(0);
        assertThat(m.get("position").asLong()).isEqualTo(7);
        assertThat(m.get("direction").asText()).isEqualTo("sent");
        assertThat(m.get("state").asText()).isEqualTo("failed");
        assertThat(m.get("reason").asText()).isEqualTo("refused");
        assertThat(m.get("text").asText()).isEqualTo("hi");
        assertThat(response(lines, 7).get("result").get("removed").asInt()).isEqualTo(3);
        for (int id : new int[] {13, 14, 15}) {
            assertThat(response(lines, id).get("error").get("code").asInt()).isEqualTo(JsonRpcServer.INVALID_PARAMS);
        }
        assertThat(messenger.calls).containsExactly("send carol queued", "history bob 9 20",
                "history bob - " + JsonRpcServer.DEFAULT_HISTORY_LIMIT, "rename DDDD Caroline", "mark_read bob",
                "clear_history bob", "disconnect bob", "cancel a4", "wait QUANTUM_RESISTANT",
                "accept_answer a1 sp2p1a-X", "accept_answer a9 sp2p1a-Y", "disconnect null");
    }

    @Test
    void verifyWithAPeerThatNamesNoContactIsUnknownPeer() throws Exception {
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"verify","params":{"peer":"nobody"}}
                """);
        assertThat(response(lines, 1).get("error").get("data").get("reason").asText()).isEqualTo("UNKNOWN_PEER");
        assertThat(messenger.calls).isEmpty();
    }

    @Test
    void verifyWithoutAPeerNeedsExactlyOneConnectedConversation() throws Exception {
        messenger.conversations = List.of();
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"verify","params":{"confirm":true}}
                {"jsonrpc":"2.0","id":2,"method":"verify","params":{"peer":"bob","confirm":true}}
                """);
        assertThat(response(lines, 1).get("error").get("data").get("reason").asText()).isEqualTo("NOT_CONNECTED");
        assertThat(response(lines, 2).get("result").get("verified").asBoolean()).isTrue();
        assertThat(messenger.calls).containsExactly("markVerified bob");
    }

    @Test
    void malformedInputGetsErrorsAndTheLoopGoesOn() throws Exception {
        List<JsonNode> lines = serve("""
                {not json
                [1,2,3]
                {"id":1,"method":"send"}
                {"jsonrpc":"2.0","id":2,"method":"fly"}
                {"jsonrpc":"2.0","id":3,"method":"send","params":["x"]}
                {"jsonrpc":"2.0","id":4,"method":"send","params":{"text":7}}
                {"jsonrpc":"2.0","id":5,"method":"wait","params":{"level":"MAXIMUM"}}
                {"jsonrpc":"2.0","id":{"a":1},"method":"peers"}
                {"jsonrpc":"2.0","id":6,"method":"trust","params":{"fingerprint":"A","decision":"maybe"}}
                {"jsonrpc":"2.0","id":7,"method":"identity"}
                """);
        List<Integer> codes = new ArrayList<>();
        for (JsonNode n : lines) {
            if (n.has("error")) {
                codes.add(n.get("error").get("code").intValue());
                assertThat(n.get("error").get("data").get("reason").asText()).isNotBlank();
            }
        }
        assertThat(codes).containsExactly(-32700, -32600, -32600, -32601, -32602, -32602, -32602, -32600, -32602);
        assertThat(response(lines, 7).get("result").get("username").asText()).isEqualTo("alice");
        assertThat(messenger.calls).isEmpty();
    }

    @Test
    void aParameterTheMethodDoesNotTakeIsRefusedNotIgnored() throws Exception {
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"send","params":{"to":"bob","text":"x"}}
                {"jsonrpc":"2.0","id":2,"method":"disconnect","params":{"pear":"bob"}}
                {"jsonrpc":"2.0","id":3,"method":"identity","params":{"verbose":true}}
                {"jsonrpc":"2.0","id":4,"method":"send","params":{"peer":"bob","text":"x"}}
                """);
        for (int id = 1; id <= 3; id++) {
            assertThat(response(lines, id).get("error").get("code").intValue()).isEqualTo(-32602);
        }
        assertThat(response(lines, 1).get("error").get("data").get("reason").asText()).contains("'to'");
        assertThat(response(lines, 4).has("result")).isTrue();
        assertThat(messenger.calls).hasSize(1);
    }

    @Test
    void appFailuresBecomeErrorsWithDocumentedCodesAndReason() throws Exception {
        messenger.failNext = new AppException(AppException.Reason.PEER_CHANGED, "Decide first.");
        List<JsonNode> lines = serve("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"send\",\"params\":{\"text\":\"x\"}}\n");
        JsonNode error = response(lines, 9).get("error");
        assertThat(error.get("code").intValue()).isEqualTo(-32002);
        assertThat(error.get("data").get("reason").asText()).isEqualTo("PEER_CHANGED");
        assertThat(error.get("message").asText()).contains("Decide first.");
    }

    @Test
    void aLineAboveTheLimitIsRefusedWithoutEndingTheSession() throws Exception {
        String huge = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"send\",\"params\":{\"text\":\""
                + "x".repeat(JsonRpcServer.MAX_LINE) + "\"}}";
        List<JsonNode> lines = serve(huge + "\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"identity\"}\n");
        assertThat(lines).anyMatch(n -> n.has("error") && n.get("error").get("code").intValue() == -32600);
        assertThat(response(lines, 2).has("result")).isTrue();
        assertThat(messenger.calls).isEmpty();
    }

    @Test
    void eventsBecomeNotificationsNamedAfterTheEvent() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonRpcServer server = new JsonRpcServer(messenger, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        server.run();
        messenger.emit(new ChatEvent.Connected("CCCC", "a1", "bob", "1".repeat(60), SecurityLevel.ENHANCED,
                "relayed", ChatEvent.TrustMode.CODE_VERIFIED, true, false, Optional.empty(), "x25519",
                Duration.ofMillis(812)));
        messenger.emit(new ChatEvent.MessageReceived("CCCC", "bob", "hello \"there\"\n", "ab", Instant.EPOCH));
        messenger.emit(new ChatEvent.Delivered("CCCC", "cd"));
        messenger.emit(new ChatEvent.PeerChanged("NEW", "bob", "OLD", "NEW", "why"));
        messenger.emit(new ChatEvent.Disconnected("CCCC", ChatEvent.DisconnectKind.PEER_OFFLINE, "gone", 2));
        messenger.emit(new ChatEvent.Progress("a1", ChatEvent.Stage.TLS, Duration.ofMillis(1500), "tls"));
        messenger.emit(new ChatEvent.ConversationsChanged());
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n", -1);
        JsonNode connected = JSON.readTree(lines[1]);
        assertThat(connected.get("method").asText()).isEqualTo("connected");
        assertThat(connected.get("params").get("level").asText()).isEqualTo("ENHANCED");
        assertThat(connected.get("params").get("path").asText()).isEqualTo("relayed");
        assertThat(connected.get("params").get("resumed").asBoolean()).isTrue();
        assertThat(connected.get("params").get("elapsed_ms").asLong()).isEqualTo(812);
        assertThat(connected.get("params").get("peer").asText()).isEqualTo("CCCC");
        assertThat(connected.get("params").get("attempt").asText()).isEqualTo("a1");
        assertThat(connected.get("params").get("name").asText()).isEqualTo("bob");
        for (int i = 2; i <= 5; i++) {
            assertThat(JSON.readTree(lines[i]).get("params").get("peer").asText()).isIn("CCCC", "NEW");
        }
        assertThat(JSON.readTree(lines[2]).get("params").get("text").asText()).isEqualTo("hello \"there\"\n");
        assertThat(JSON.readTree(lines[3]).get("method").asText()).isEqualTo("delivered");
        assertThat(JSON.readTree(lines[4]).get("method").asText()).isEqualTo("peer_changed");
        assertThat(JSON.readTree(lines[5]).get("params").get("kind").asText()).isEqualTo("peer_offline");
        assertThat(JSON.readTree(lines[6]).get("params").get("elapsed_ms").asLong()).isEqualTo(1500);
        assertThat(JSON.readTree(lines[6]).get("params").get("attempt").asText()).isEqualTo("a1");
        assertThat(JSON.readTree(lines[7]).get("method").asText()).isEqualTo("conversations_changed");
    }

    @Test
    void peerChosenBidiOverridesAndLineSeparatorsAreEscapedInTheOutput() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonRpcServer server = new JsonRpcServer(messenger, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        server.run();
        String name = "eve\u202Etxt.exe\u2066";
        String text = "one\u2028two\u2029three\u200B\u007F end, Zo\u00EB \uD83D\uDE00";
        messenger.emit(new ChatEvent.MessageReceived("CCCC", name, text, "ab", Instant.EPOCH));
        String raw = out.toString(StandardCharsets.UTF_8).split("\n", -1)[1];
        // Not one of them raw on the line; each as its escape, which a JSON parser reads back exactly.
        assertThat(raw).doesNotContain("\u202E", "\u2066", "\u2028", "\u2029", "\u200B", "\u007F")
                .contains("\\u202E", "\\u2066", "\\u2028", "\\u2029", "\\u200B", "\\u007F")
                .contains("Zo\u00EB", "\uD83D\uDE00");
        JsonNode params = JSON.readTree(raw).get("params");
        assertThat(params.get("from").asText()).isEqualTo(name);
        assertThat(params.get("text").asText()).isEqualTo(text);
    }

    @Test
    void theFileMethodsHandTheirParamsToTheMessengerAndAnswer() throws Exception {
        messenger.transfers = List.of(new Messenger.TransferInfo(RecordingMessenger.FILE_ID, "CCCC", "report.pdf",
                false, 1024, 4096, 512, "receiving", "/home/u/downloads/report.pdf.part"));
        String upper = RecordingMessenger.FILE_ID.toUpperCase(java.util.Locale.ROOT);
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"send_file","params":{"peer":"bob","path":"/tmp/a b.txt"}}
                {"jsonrpc":"2.0","id":2,"method":"accept_file","params":{"id":"%s"}}
                {"jsonrpc":"2.0","id":3,"method":"decline_file","params":{"id":"%s"}}
                {"jsonrpc":"2.0","id":4,"method":"cancel_file","params":{"id":" %s "}}
                {"jsonrpc":"2.0","id":5,"method":"transfers"}
                """.formatted(upper, RecordingMessenger.FILE_ID, RecordingMessenger.FILE_ID));
        assertThat(response(lines, 1).get("result").get("id").asText()).isEqualTo(RecordingMessenger.FILE_ID);
        assertThat(response(lines, 2).get("result").get("status").asText()).isEqualTo("accepted");
        assertThat(response(lines, 3).get("result").get("status").asText()).isEqualTo("declined");
        assertThat(response(lines, 4).get("result").get("status").asText()).isEqualTo("cancelled");
        JsonNode t = response(lines, 5).get("result").get(0);
        assertThat(t.toString()).isEqualTo("{\"id\":\"" + RecordingMessenger.FILE_ID + "\",\"peer\":\"CCCC\","
                + "\"name\":\"report.pdf\",\"outgoing\":false,\"bytes\":1024,\"total\":4096,\"rate\":512,"
                + "\"state\":\"receiving\",\"path\":\"/home/u/downloads/report.pdf.part\"}");
        // The id reaches the messenger as the events write it: lower case, nothing around it.
        assertThat(messenger.calls).containsExactly("sendFile bob /tmp/a b.txt",
                "acceptFile " + RecordingMessenger.FILE_ID, "declineFile " + RecordingMessenger.FILE_ID,
                "cancelFile " + RecordingMessenger.FILE_ID, "transfers");
    }

    @Test
    void theFileMethodsRefuseMissingExtraAndWrongTypedParamsWithoutCallingTheMessenger() throws Exception {
        String id = RecordingMessenger.FILE_ID;
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"send_file","params":{"path":"/tmp/x"}}
                {"jsonrpc":"2.0","id":2,"method":"send_file","params":{"peer":"bob"}}
                {"jsonrpc":"2.0","id":3,"method":"send_file","params":{"peer":"bob","path":7}}
                {"jsonrpc":"2.0","id":4,"method":"send_file","params":{"peer":"bob","path":"/tmp/x","name":"y"}}
                {"jsonrpc":"2.0","id":5,"method":"send_file","params":{"peer":"bob","path":"/tmp/a\\u0000b"}}
                {"jsonrpc":"2.0","id":6,"method":"send_file","params":{"peer":"bob","path":"  "}}
                {"jsonrpc":"2.0","id":7,"method":"send_file","params":{"peer":null,"path":"/tmp/x"}}
                {"jsonrpc":"2.0","id":8,"method":"accept_file"}
                {"jsonrpc":"2.0","id":9,"method":"accept_file","params":{"id":7}}
                {"jsonrpc":"2.0","id":10,"method":"accept_file","params":{"id":"%s0"}}
                {"jsonrpc":"2.0","id":11,"method":"decline_file","params":{"id":"%s","peer":"bob"}}
                {"jsonrpc":"2.0","id":12,"method":"decline_file","params":{"id":"xyz"}}
                {"jsonrpc":"2.0","id":13,"method":"cancel_file","params":{"file":"%s"}}
                {"jsonrpc":"2.0","id":14,"method":"cancel_file","params":{"id":"%sg"}}
                {"jsonrpc":"2.0","id":15,"method":"transfers","params":{"all":true}}
                """.formatted(id, id, id, id.substring(1)));
        for (int i = 1; i <= 15; i++) {
            assertThat(response(lines, i).get("error").get("code").asInt()).as("request %d", i)
                    .isEqualTo(JsonRpcServer.INVALID_PARAMS);
        }
        assertThat(response(lines, 4).get("error").get("data").get("reason").asText()).contains("'name'");
        assertThat(response(lines, 5).get("error").get("data").get("reason").asText()).doesNotContain("\u0000");
        assertThat(response(lines, 10).get("error").get("data").get("reason").asText()).contains("32 hex digits");
        assertThat(messenger.calls).isEmpty();
    }

    @Test
    void fileFailuresBecomeErrorsWithTheirOwnCodesAndReasons() throws Exception {
        messenger.failNext = new AppException(AppException.Reason.FILE_REFUSED, "No such file.");
        List<JsonNode> lines = serve("""
                {"jsonrpc":"2.0","id":1,"method":"send_file","params":{"peer":"bob","path":"/nowhere"}}
                """);
        assertThat(response(lines, 1).get("error").get("code").asInt()).isEqualTo(-32024);
        assertThat(response(lines, 1).get("error").get("data").get("reason").asText()).isEqualTo("FILE_REFUSED");
        assertThat(response(lines, 1).get("error").get("message").asText()).contains("No such file.");
        messenger.failNext = new AppException(AppException.Reason.UNKNOWN_FILE, "No such transfer.");
        lines = serve("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"cancel_file\",\"params\":{\"id\":\""
                + RecordingMessenger.FILE_ID + "\"}}\n");
        assertThat(response(lines, 2).get("error").get("code").asInt()).isEqualTo(-32023);
        assertThat(response(lines, 2).get("error").get("data").get("reason").asText()).isEqualTo("UNKNOWN_FILE");
    }

    @Test
    void fileEventsAreNotificationsWrittenExactlyAsTheReadmeSays() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonRpcServer server = new JsonRpcServer(messenger, new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        server.run();
        String id = RecordingMessenger.FILE_ID;
        String sha = "ab".repeat(32);
        // The name is the peer's: a bidi override and a quote in it must come out escaped.
        messenger.emit(new ChatEvent.FileOffered("CCCC", id, "re\u202Eport\"1\".pdf", 2_202_009,
                "application/pdf", false));
        messenger.emit(new ChatEvent.FileOffered("CCCC", id, "a.txt", 0, "text/plain", true));
        messenger.emit(new ChatEvent.FileProgress("CCCC", id, 1_048_576, 2_202_009, 524_288));
        messenger.emit(new ChatEvent.FileDone("CCCC", id, "/home/u/downloads/report.pdf", sha));
        messenger.emit(new ChatEvent.FileFailed("CCCC", id, "Declined by the peer."));
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().skip(1).toList();
        String head = "{\"jsonrpc\":\"2.0\",\"method\":";
        assertThat(lines).containsExactly(
                head + "\"file_offer\",\"params\":{\"peer\":\"CCCC\",\"id\":\"" + id
                        + "\",\"name\":\"re\\u202Eport\\\"1\\\".pdf\",\"size\":2202009,"
                        + "\"media_type\":\"application/pdf\",\"auto_accepted\":false}}",
                head + "\"file_offer\",\"params\":{\"peer\":\"CCCC\",\"id\":\"" + id
                        + "\",\"name\":\"a.txt\",\"size\":0,\"media_type\":\"text/plain\",\"auto_accepted\":true}}",
                head + "\"file_progress\",\"params\":{\"peer\":\"CCCC\",\"id\":\"" + id
                        + "\",\"bytes\":1048576,\"total\":2202009,\"rate\":524288}}",
                head + "\"file_done\",\"params\":{\"peer\":\"CCCC\",\"id\":\"" + id
                        + "\",\"path\":\"/home/u/downloads/report.pdf\",\"sha256\":\"" + sha + "\"}}",
                head + "\"file_failed\",\"params\":{\"peer\":\"CCCC\",\"id\":\"" + id
                        + "\",\"reason\":\"Declined by the peer.\"}}");
        assertThat(JSON.readTree(lines.get(0)).get("params").get("name").asText())
                .isEqualTo("re\u202Eport\"1\".pdf");
    }

    @Property(tries = 300)
    void anyLineGetsExactlyOneParsableAnswerAndNeverStopsTheServer(@ForAll @StringLength(max = 200) String line)
            throws Exception {
        String clean = line.replace("\n", " ").replace("\r", " ");
        List<JsonNode> lines = serve(clean + "\n{\"jsonrpc\":\"2.0\",\"id\":424242,\"method\":\"identity\"}\n");
        assertThat(response(lines, 424242).has("result")).isTrue();
        long answers = lines.stream().filter(n -> n.has("result") || n.has("error")).count();
        assertThat(answers).isBetween(1L, 2L);
    }
}
