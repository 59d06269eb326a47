package org.securep2p.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import picocli.CommandLine;

import picocli.CommandLine.Option;

class PlainArgumentsTest {

    private static final PrintStream NOWHERE = new PrintStream(OutputStream.nullOutputStream());

    /** Whenever the plain parser takes a command line, picocli takes it too and sets every field alike. */
    @Property(tries = 2000)
    void agreesWithPicocliOrDeclines(@ForAll("commandLines") List<String> args) throws Exception {
        String[] a = args.toArray(String[]::new);
        Main plain = new Main(NOWHERE, NOWHERE);
        boolean taken = PlainArguments.apply(a, plain);
        if (!taken) {
            assertThat(options(plain)).isEqualTo(options(new Main(NOWHERE, NOWHERE)));
            return;
        }
        Main parsed = new Main(NOWHERE, NOWHERE);
        Main.commandLine(parsed).parseArgs(a);
        assertThat(options(plain)).isEqualTo(options(parsed));
    }

    @Provide
    Arbitrary<List<String>> commandLines() {
        Arbitrary<String> token = Arbitraries.of("--home", "--name", "--level", "--stun", "--turn", "--turn-user",
                "--turn-password-file", "--port", "--trust", "--json", "--help", "--version", "-h", "--", "ca",
                "--home=/tmp/h", "--level=enhanced", "--port=7000", "--json=true", "--stun=127.0.0.1:3478",
                "/tmp/h", "alice", "a=b", "", "-x", "@args", "STANDARD", "enhanced", "Quantum_Resistant", "MAXIMUM",
                "7000", "010", "0x10", "+5", "99999999999", "127.0.0.1:3478", "ca:/tmp/ca.crt", "codes", "ſtandard");
        return token.list().ofMaxSize(8);
    }

    @Test
    void takesTheEverydayCommandLines() {
        for (String[] a : List.of(new String[0], new String[] {"--home", "/tmp/h", "--json"},
                new String[] {"--home=/tmp/h", "--name", "alice", "--level", "enhanced", "--stun", "127.0.0.1:3478",
                    "--stun", "127.0.0.1:3479", "--port", "7000"})) {
            assertThat(PlainArguments.apply(a, new Main(NOWHERE, NOWHERE))).as(String.join(" ", a)).isTrue();
        }
    }

    @Test
    void leavesHelpSubcommandsAndOddFormsToPicocli() {
        for (String[] a : List.of(new String[] {"--help"}, new String[] {"ca", "list"}, new String[] {"--json", "--json"},
                new String[] {"--name"}, new String[] {"--port", "010"}, new String[] {"@args"},
                new String[] {"--name", "--json"}, new String[] {"--home", "ca"})) {
            assertThat(PlainArguments.apply(a, new Main(NOWHERE, NOWHERE))).as(String.join(" ", a)).isFalse();
        }
    }

    @Test
    void knowsExactlyPicocliOptionsAndSubcommands() {
        CommandLine cl = Main.commandLine(new Main(NOWHERE, NOWHERE));
        java.util.Set<String> names = new java.util.HashSet<>();
        cl.getCommandSpec().options().forEach(o -> names.addAll(List.of(o.names())));
        names.removeAll(List.of("-h", "--help", "-V", "--version"));
        assertThat(PlainArguments.OPTIONS).isEqualTo(names);
        assertThat(PlainArguments.SUBCOMMANDS).isEqualTo(cl.getSubcommands().keySet());
    }

    /** Every option field is copied: an option added to Main without a line in copyOptionsFrom fails here. */
    @Test
    void copiesEveryOptionField() throws Exception {
        Main a = new Main(NOWHERE, NOWHERE);
        Main.commandLine(a).parseArgs("--home", "/h", "--name", "n", "--level", "standard", "--stun", "s:1", "--turn",
                "t:2", "--turn-user", "u", "--turn-password-file", "/p", "--port", "9", "--trust", "codes", "--json");
        Main b = new Main(NOWHERE, NOWHERE);
        b.copyOptionsFrom(a);
        assertThat(options(b)).isEqualTo(options(a));
        assertThat(options(b)).isNotEqualTo(options(new Main(NOWHERE, NOWHERE)));
    }

    private static List<Object> options(Main m) throws IllegalAccessException {
        List<Object> values = new ArrayList<>();
        for (Field f : Main.class.getDeclaredFields()) {
            if (f.isAnnotationPresent(Option.class)) {
                f.setAccessible(true);
                values.add(f.getName() + "=" + f.get(m));
            }
        }
        return values;
    }

}
