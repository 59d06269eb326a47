package org.securep2p.app.tui;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.google.zxing.EncodeHintType;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.google.zxing.qrcode.encoder.ByteMatrix;
import com.google.zxing.qrcode.encoder.Encoder;

class QrBlocksTest {

    @Test
    void halfBlocksHoldExactlyTheEncodersModulesWithAQuietZone() throws Exception {
        String content = "sp2p1:" + "Q".repeat(190);
        List<String> rows = QrBlocks.render(content, ErrorCorrectionLevel.L);
        ByteMatrix m = Encoder.encode(content, ErrorCorrectionLevel.L, Map.of(EncodeHintType.CHARACTER_SET, "UTF-8"))
                .getMatrix();
        int q = QrBlocks.QUIET_ZONE;
        int size = m.getWidth() + 2 * q;
        assertThat(rows).hasSize((size + 1) / 2).allSatisfy(r -> assertThat(r).hasSize(size));
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                char c = rows.get(y / 2).charAt(x);
                boolean lightDrawn = y % 2 == 0 ? (c == '█' || c == '▀') : (c == '█' || c == '▄');
                boolean inside = x >= q && y >= q && x < q + m.getWidth() && y < q + m.getHeight();
                boolean light = !inside || m.get(x - q, y - q) != 1;
                assertThat(lightDrawn).as("module %d,%d", x, y).isEqualTo(light);
            }
        }
    }

    @Test
    void aSafetyNumberFitsInASmallSymbol() {
        List<String> rows = QrBlocks.render("1".repeat(60), ErrorCorrectionLevel.M);
        assertThat(rows.get(0).length()).isLessThanOrEqualTo(33);
    }
}
