// The progress line of a weights download on stderr: on a terminal one line rewritten in place
// (at most every 200 ms), elsewhere (logs, the editor's output channel) one line when a large
// file is done, so logs stay short.
import { setDownloadProgress, type DownloadProgress } from '../runtime/weights/download.js';

const MB = 1024 * 1024;
const mb = (n: number) => (n / MB).toFixed(1);

export function showDownloadProgress(stream: NodeJS.WriteStream = process.stderr): () => void {
    let last = 0;
    setDownloadProgress((p: DownloadProgress) => {
        const name = p.url.split('/').pop() ?? p.url;
        const line = `downloading ${name}: ${mb(p.received)}${p.total ? ` / ${mb(p.total)}` : ''} MB`;
        if (stream.isTTY) {
            const now = Date.now();
            if (!p.done && now - last < 200) return;
            last = now;
            stream.write(`\r${line}${p.done ? '\n' : ''}`);
        } else if (p.done && p.received >= MB) {
            stream.write(`${line}\n`);
        }
    });
    return () => setDownloadProgress(undefined);
}
