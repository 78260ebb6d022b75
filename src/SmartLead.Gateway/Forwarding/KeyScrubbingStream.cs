using System.Text;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The response body on its way to the client, with every SmartLead key overwritten by as many <c>*</c> as it has
/// characters. Same length, so <c>Content-Length</c> stays true and the answer is otherwise byte-identical. A body that
/// echoes the request URL (some error pages do) would otherwise hand the organisation's key to every caller.
/// A key split across two writes is caught: the last few bytes of each write are held back until the next one.
/// Compressed bodies cannot be scanned; <see cref="KeyScrubbingMiddleware"/> asks SmartLead for identity encoding.
/// </summary>
internal sealed class KeyScrubbingStream : Stream
{
    private readonly Stream _inner;
    private readonly IReadOnlyList<byte[]> _patterns;
    private readonly int _holdBack;
    private byte[] _pending = [];

    /// <param name="inner">The client's response body.</param>
    /// <param name="patterns">The UTF-8 forms of every key to overwrite (see <c>SecretRedactor.Utf8Forms</c>).</param>
    public KeyScrubbingStream(Stream inner, IReadOnlyList<byte[]> patterns)
    {
        _inner = inner;
        _patterns = patterns;
        _holdBack = patterns.Count == 0 ? 0 : patterns.Max(p => p.Length) - 1;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_patterns.Count == 0)
        {
            await _inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        if (buffer.Length > _holdBack && !HoldsKey(buffer.Span) && !HoldsKey(Seam(buffer.Span)))
        {
            // The common case: no key anywhere, so the caller's bytes go out as they are, without a copy.
            // Only the seam (held-back tail + this write's head) and this write's own bytes can hold a key.
            if (_pending.Length > 0)
            {
                await _inner.WriteAsync(_pending, cancellationToken);
            }

            var release = buffer.Length - _holdBack;
            await _inner.WriteAsync(buffer[..release], cancellationToken);
            _pending = buffer[release..].ToArray();
            return;
        }

        var combined = new byte[_pending.Length + buffer.Length];
        _pending.CopyTo(combined, 0);
        buffer.Span.CopyTo(combined.AsSpan(_pending.Length));
        Scrub(combined);

        var keep = Math.Max(0, combined.Length - _holdBack);
        _pending = combined[keep..];
        if (keep > 0)
        {
            await _inner.WriteAsync(combined.AsMemory(0, keep), cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Writes what was held back; call once the body is complete.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (_pending.Length > 0)
        {
            var rest = _pending;
            _pending = [];
            await _inner.WriteAsync(rest, cancellationToken);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>The held-back tail joined to the first bytes of <paramref name="next"/>: where a split key would sit.</summary>
    private byte[] Seam(ReadOnlySpan<byte> next)
    {
        var head = next[..Math.Min(_holdBack, next.Length)];
        var seam = new byte[_pending.Length + head.Length];
        _pending.CopyTo(seam, 0);
        head.CopyTo(seam.AsSpan(_pending.Length));
        return seam;
    }

    private bool HoldsKey(ReadOnlySpan<byte> data)
    {
        foreach (var pattern in _patterns)
        {
            if (data.IndexOf(pattern) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private void Scrub(Span<byte> data)
    {
        foreach (var pattern in _patterns)
        {
            var from = 0;
            while (from <= data.Length - pattern.Length)
            {
                var at = data[from..].IndexOf(pattern);
                if (at < 0)
                {
                    break;
                }

                data.Slice(from + at, pattern.Length).Fill((byte)'*');
                from += at + pattern.Length;
            }
        }
    }
}
