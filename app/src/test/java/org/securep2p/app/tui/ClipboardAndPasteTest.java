package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.securep2p.app.ChatEvent;
import org.securep2p.crypto.Fingerprint;
import org.securep2p.crypto.SecurityLevel;
import org.securep2p.transport.Candidate;
import org.securep2p.transport.CodeMarkers;
import org.securep2p.transport.ConnectionCode;
import org.securep2p.transport.ConnectionTarget;
import org.securep2p.transport.IceCredentials;

import com.googlecode.lanterna.input.DefaultKeyDecodingProfile;
import com.googlecode.lanterna.input.InputDecoder;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;

/**
 * Issue 21's codes to the clipboard and pasted codes: {@code c} writes the code (or fingerprint) to the terminal
 * as OSC 52; a code pasted with its marker lines and line breaks, bracketed or not, reaches the engine as text
 * the transport's parser reads; and the way back from a chat (Esc Esc, the header's hint, /help).
 */
class ClipboardAndPasteTest {

    private static final Pattern OSC52 = Pattern.compile("\u001b\\]52;c;([A-Za-z0-9+/=]*)\u0007");
    private static final SecureRandom RANDOM = new SecureRandom();

    private static ConnectionCode offer() throws Exception {
        byte[] fp = new byte[Fingerprint.LENGTH];
        RANDOM.nextBytes(fp);
        return ConnectionCode.offer(Fingerprint.fromBytes(fp), SecurityLevel.QUANTUM_RESISTANT,
                IceCredentials.generate(RANDOM), List.of(Candidate.of(Candidate.Type.SERVER_REFLEXIVE,
                        new InetSocketAddress(InetAddress.getByName("203.0.113.7"), 40000))), true);
    }

    private static ConnectionCode answer(ConnectionCode offer) throws Exception {
        byte[] fp = new byte[Fingerprint.LENGTH];
        RANDOM.nextBytes(fp);
        return ConnectionCode.answer(offer, Fingerprint.fromBytes(fp), SecurityLevel.QUANTUM_RESISTANT,
                IceCredentials.generate(RANDOM), List.of(Candidate.of(Candidate.Type.SERVER_REFLEXIVE,
                        new InetSocketAddress(InetAddress.getByName("198.51.100.9"), 50000))));
    }

    /** The texts of every OSC 52 "set clipboard" sequence written so far, decoded. */
    private static List<String> copied(ByteArrayOutputStream control) {
        Matcher m = OSC52.matcher(control.toString(StandardCharsets.ISO_8859_1));
        List<String> texts = new ArrayList<>();
        while (m.find()) {
            texts.add(new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8));
        }
        return texts;
    }

    /** The code as the TUI draws it, cut into lines of {@code width}, between its markers. */
    private static String block(String begin, String code, int width, String end) {
        StringBuilder sb = new StringBuilder(begin).append('\n');
        for (int i = 0; i < code.length(); i += width) {
            sb.append(code, i, Math.min(code.length(), i + width)).append('\n');
        }
        return sb.append(end).append('\n').toString();
    }

    /** A bracketed paste as the terminal sends it, once the edges are decoded. */
    private static void paste(TuiHarness h, String text) {
        synchronized (h.terminal) {
            h.terminal.addInput(new KeyInput.PasteEdge(true));
            h.type(text);
            h.terminal.addInput(new KeyInput.PasteEdge(false));
        }
    }

    /** The TUI called connect with text that the real parser reads as {@code code} (at the default level). */
    private static void assertConnectsTo(TuiHarness h, ConnectionCode code) throws Exception {
        h.await(() -> h.messenger.called("connect "), "connect");
        String sent = argumentOf(h, "connect");
        String text = sent.substring(0, sent.length() - (" " + SecurityLevel.QUANTUM_RESISTANT).length());
        assertThat(ConnectionTarget.parse(text).code()).contains(code);
    }

    private static String argumentOf(TuiHarness h, String call) {
        return h.messenger.callsSoFar().stream().filter(c -> c.startsWith(call + " ")).findFirst().orElseThrow()
                .substring(call.length() + 1);
    }

    @Test
    void cOnTheWaitScreenCopiesTheConnectionCodeThroughOsc52() throws Exception {
        ByteArrayOutputStream control = new ByteArrayOutputStream();
        String code = offer().text();
        try (TuiHarness h = TuiHarness.withControl(120, 40, control)) {
            h.messenger.waitResult = new ChatEvent.Endpoint("a1", code, "203.0.113.7:40000", "symmetric", "", true);
            h.type("1");
            h.awaitText("c copies it to the clipboard");
            assertThat(copied(control)).isEmpty();
            h.type("c");
            String s = h.awaitText("Copied the connection code to the clipboard");
            assertThat(s).contains("OSC 52");
            assertThat(copied(control)).containsExactly(code);
            // In a field with text, c is a character of the answer code, not a copy.
            h.type("sp2pc");
            h.awaitText("sp2pc");
            assertThat(copied(control)).hasSize(1);
        }
    }

    @Test
    void bracketedPasteIsSwitchedOnAtStartAndOffAtExit() throws Exception {
        ByteArrayOutputStream control = new ByteArrayOutputStream();
        TuiHarness h = TuiHarness.withControl(100, 30, control);
        assertThat(control.toString(StandardCharsets.ISO_8859_1)).isEqualTo(KeyInput.BRACKETED_PASTE_ON);
        h.close();
        assertThat(control.toString(StandardCharsets.ISO_8859_1))
                .isEqualTo(KeyInput.BRACKETED_PASTE_ON + KeyInput.BRACKETED_PASTE_OFF);
    }

    @Test
    void cOnTheIdentityScreenCopiesTheFingerprint() throws Exception {
        ByteArrayOutputStream control = new ByteArrayOutputStream();
        try (TuiHarness h = TuiHarness.withControl(120, 30, control)) {
            h.type("5");
            h.awaitText("c: copy the fingerprint");
            h.type("c");
            h.awaitText("Copied the fingerprint");
            assertThat(copied(control)).containsExactly(FakeMessenger.FINGERPRINT);
        }
    }

    @Test
    void cWhileConnectingCopiesTheAnswerCode() throws Exception {
        ByteArrayOutputStream control = new ByteArrayOutputStream();
        ConnectionCode offer = offer();
        String answer = answer(offer).text();
        try (TuiHarness h = TuiHarness.withControl(120, 40, control)) {
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            h.type(offer.text() + "\n");
            h.await(() -> h.messenger.called("connect "), "connect");
            h.messenger.emit(new ChatEvent.AnswerCode("a1", answer));
            h.awaitText(CodeMarkers.ANSWER_BEGIN);
            h.type("c");
            h.awaitText("Copied the answer code");
            assertThat(copied(control)).containsExactly(answer);
        }
    }

    @Test
    void withoutAByteStreamCopyingSaysItCannot() throws Exception {
        try (TuiHarness h = new TuiHarness(120, 30)) {
            h.type("5");
            h.awaitText("c: copy the fingerprint");
            h.type("c");
            h.awaitText("select the fingerprint with the mouse");
        }
    }

    @Test
    void aBracketedPasteOfACodeWithMarkersAndLineBreaksConnects() throws Exception {
        ConnectionCode code = offer();
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            paste(h, block(CodeMarkers.CONNECTION_BEGIN, code.text(), 37, CodeMarkers.CONNECTION_END));
            h.awaitText("-----END");
            h.settle();
            assertThat(h.messenger.called("connect ")).as("a pasted line break is not Enter").isFalse();
            h.enter();
            assertConnectsTo(h, code);
        }
    }

    @Test
    void aLineBreakInABracketedPasteIsNotEnterEvenWhenThePasteArrivesInTwoReads() throws Exception {
        ConnectionCode code = offer();
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            String first = code.text().substring(0, 60);
            synchronized (h.terminal) {
                h.terminal.addInput(new KeyInput.PasteEdge(true));
                h.type(first + "\n"); // the last key of this read: only the open paste says more follows
            }
            h.awaitText(first);
            h.settle();
            assertThat(h.messenger.called("connect ")).as("Enter inside an unfinished paste").isFalse();
            synchronized (h.terminal) {
                h.type(code.text().substring(60) + "\n");
                h.terminal.addInput(new KeyInput.PasteEdge(false));
            }
            h.settle();
            assertThat(h.messenger.called("connect ")).as("the paste's own last line break").isFalse();
            h.enter();
            assertConnectsTo(h, code);
        }
    }

    @Test
    void aPastedAnswerCodeWithMarkersReachesTheWaitAsAParsableCode() throws Exception {
        ConnectionCode offer = offer();
        ConnectionCode answer = answer(offer);
        try (TuiHarness h = new TuiHarness(120, 40)) {
            h.messenger.waitResult = new ChatEvent.Endpoint("a1", offer.text(), "203.0.113.7:40000", "symmetric", "",
                    true);
            h.type("1");
            h.awaitText("The peer will show an answer code");
            paste(h, block(CodeMarkers.ANSWER_BEGIN, answer.text(), 60, CodeMarkers.ANSWER_END));
            h.enter();
            h.await(() -> h.messenger.called("acceptAnswer "), "acceptAnswer");
            assertThat(ConnectionCode.parse(argumentOf(h, "acceptAnswer"))).isEqualTo(answer);
        }
    }

    @Test
    void aCodePastedWithoutBracketsKeepsReadingAfterTheBeginMarkersEnter() throws Exception {
        ConnectionCode code = offer();
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            // The terminal did not bracket the paste, and it arrived in two reads: the first Enter is alone.
            h.type(CodeMarkers.CONNECTION_BEGIN + "\n");
            h.awaitText("Reading the code up to its END line");
            assertThat(h.messenger.called("connect ")).isFalse();
            synchronized (h.terminal) {
                h.type(code.text().substring(0, 50) + "\n" + code.text().substring(50) + "\n"
                        + CodeMarkers.CONNECTION_END + "\n");
            }
            assertConnectsTo(h, code);
        }
    }

    @Test
    void aSecondEnterSubmitsACodeWhoseEndMarkerNeverCame() throws Exception {
        try (TuiHarness h = new TuiHarness(100, 30)) {
            h.type("2");
            h.awaitText("Paste the peer's connection code");
            h.type(CodeMarkers.CONNECTION_BEGIN + " sp2p1o-ABCDE\n");
            h.awaitText("Reading the code up to its END line");
            h.enter();
            h.await(() -> h.messenger.called("connect "), "connect");
        }
    }

    @Test
    void lanternaDecodesTheBracketedPasteEdges() throws Exception {
        InputDecoder decoder = new InputDecoder(new StringReader("a\u001b[200~x\ny\u001b[201~\u001b[Ab"));
        decoder.addProfile(new DefaultKeyDecodingProfile());
        decoder.addProfile(KeyInput.PASTE_EDGES);
        List<String> keys = new ArrayList<>();
        for (KeyStroke k = decoder.getNextCharacter(true); k.getKeyType() != KeyType.EOF;
                k = decoder.getNextCharacter(true)) {
            keys.add(k instanceof KeyInput.PasteEdge e ? (e.start() ? "[" : "]")
                    : KeyInput.isEnter(k) ? "\\n" : k.getKeyType() == KeyType.Character ? "" + k.getCharacter()
                    : k.getKeyType().name());
        }
        assertThat(keys).containsExactly("a", "[", "x", "\\n", "y", "]", "ArrowUp", "b");
    }

    @Test
    void escEscLeavesAChatForTheMenuAndOneEscOnlyClearsTheLine() throws Exception {
        try (TuiHarness h = TuiTest.inChat(120, 30)) {
            String s = h.awaitText("Esc Esc or /menu: back to the menu");
            assertThat(s).contains("/help: every key");
            h.type("draft");
            h.awaitText("draft");
            h.key(KeyType.Escape);
            h.awaitScreen(x -> !x.contains("draft"));
            h.settle();
            assertThat(h.screen()).contains("Chat with bob");
            h.key(KeyType.Escape);
            h.awaitText("main menu");
        }
    }

    @Test
    void helpListsTheKeysAndTheWayBack() throws Exception {
        try (TuiHarness h = TuiTest.inChat(160, 40)) {
            h.type("/help\n");
            String s = h.awaitText("Esc Esc or /menu");
            assertThat(s).contains("Esc clears it", "Alt+1..9", "PgUp/PgDn", "Up/Down", "Ctrl-W", "Ctrl-C quits");
            h.type("/menu\n");
            h.awaitText("main menu");
        }
    }
}
