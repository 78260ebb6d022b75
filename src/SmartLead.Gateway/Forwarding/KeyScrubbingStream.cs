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
    private readonly byte[][] _patterns;
    private readonly int _holdBack;
    private byte[] _pending = [];

    public KeyScrubbingStream(Stream inner, IEnumerable<string> secrets)
    {
        _inner = inner;
        _patterns = [.. secrets
            .SelectMany(s => new[] { s, Uri.EscapeDataString(s) })
            .Distinct(StringComparer.Ordinal)
            .Select(Encoding.UTF8.GetBytes)
            .Where(p => p.Length > 0)];
        _holdBack = _patterns.Length == 0 ? 0 : _patterns.Max(p => p.Length) - 1;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_patterns.Length == 0)
        {
            await _inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        var combined = new byte[_pending.Length + buffer.Length];
        _pending.CopyTo(combined, 0);
        buffer.Span.CopyTo(combined.AsSpan(_pending.Length));
        Scrub(combined);

        var release = Math.Max(0, combined.Length - _holdBack);
        _pending = combined[release..];
        if (release > 0)
        {
            await _inner.WriteAsync(combined.AsMemory(0, release), cancellationToken);
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
