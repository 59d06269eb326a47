package org.securep2p.app.headless;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Coverage-guided fuzzing of {@link JsonRpcServer#handle}, which reads every line a headless client writes.
 * For each line of the input (split as the server splits its standard input): a request with an {@code id}
 * gets exactly one reply, with that id; a notification (a valid request without {@code id}) gets none,
 * whatever its method or params; anything that is not a valid request gets one error reply with a null id. Every
 * reply is one well-formed JSON-RPC 2.0 response (a result or an error with an integer code and a message),
 * and none is an internal error, which would mean a {@link RuntimeException} inside. Seeds in
 * {@code JsonRpcServerFuzzInputs/} are the README's requests, notifications and near misses.
 */
class JsonRpcServerFuzz {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bounds the work of one input. */
    private static final int MAX_LINES = 32;

    @FuzzTest(maxDuration = "5m")
    void everyRequestWithAnIdGetsOneReplyAndNotificationsNone(byte[] input) throws Exception {
        String text = new String(input, StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonRpcServer server = new JsonRpcServer(new RecordingMessenger(), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        int lines = 0;
        for (String line : text.split("\n", -1)) {
            if (line.isBlank() || lines++ == MAX_LINES) {
                continue;
            }
            out.reset();
            boolean quit = server.handle(line);
            check(line, replies(out));
            if (quit) {
                return;
            }
        }
    }

    private static void check(String line, List<JsonNode> replies) {
        JsonNode request;
        try {
            request = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            request = null;
        }
        for (JsonNode reply : replies) {
            assertThat(reply.isObject()).as("reply to %s", line).isTrue();
            assertThat(reply.path("jsonrpc").asText()).isEqualTo("2.0");
            assertThat(reply.has("id")).as("reply to %s has an id", line).isTrue();
            assertThat(reply.has("result")).as("result xor error in %s", reply).isNotEqualTo(reply.has("error"));
            if (reply.has("error")) {
                JsonNode error = reply.get("error");
                assertThat(error.path("code").isInt()).as("error code in %s", reply).isTrue();
                assertThat(error.path("message").isTextual()).as("error message in %s", reply).isTrue();
                assertThat(error.get("code").intValue()).as("internal error for %s", line)
                        .isNotEqualTo(JsonRpcServer.INTERNAL_ERROR);
            }
        }
        if (request == null || !request.isObject()) {
            assertThat(replies).as("replies to %s", line).hasSize(1);
            assertThat(replies.get(0).get("id").isNull()).isTrue();
            return;
        }
        JsonNode id = request.get("id");
        boolean idValid = id == null || id.isNumber() || id.isTextual() || id.isNull();
        boolean valid = idValid && request.path("jsonrpc").isTextual() && "2.0".equals(request.get("jsonrpc").textValue())
                && request.path("method").isTextual();
        if (id == null && valid) {
            assertThat(replies).as("replies to the notification %s", line).isEmpty();
        } else if (id == null || !idValid) {
            assertThat(replies).as("replies to %s", line).hasSize(1);
            assertThat(replies.get(0).get("id").isNull()).isTrue();
        } else {
            assertThat(replies).as("replies to %s", line).hasSize(1);
            assertThat(replies.get(0).get("id")).isEqualTo(id);
        }
    }

    private static List<JsonNode> replies(ByteArrayOutputStream out) throws JsonProcessingException {
        List<JsonNode> replies = new ArrayList<>();
        String written = out.toString(StandardCharsets.UTF_8);
        assertThat(written.isEmpty() || written.endsWith("\n")).as("whole lines in %s", written).isTrue();
        for (String line : written.split("\n", -1)) {
            if (!line.isEmpty()) {
                replies.add(JSON.readTree(line));
            }
        }
        return replies;
    }
}
