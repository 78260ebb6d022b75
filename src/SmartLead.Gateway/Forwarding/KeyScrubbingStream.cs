using System.Buffers;
using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// The response body on its way to the client, with every covered form of a key (see <see cref="KeyPatterns"/>)
/// overwritten by as many <c>*</c> as it has bytes. Same length, so <c>Content-Length</c> stays true and the answer is
/// otherwise byte-identical. A body that echoes the request URL (some error pages do) would otherwise hand the
/// organisation's key to every caller.
/// Only a trailing partial match waits for the next write, and a flush from upstream reaches the client: an
/// event stream flows event by event. The patterns are taken at the first write, once the attempt that produced this
/// answer has been sent, so they hold the key actually sent even when it was rotated while the request was read.
/// </summary>
internal sealed class KeyScrubbingStream : Stream
{
    private readonly Stream _inner;
    private readonly RequestKeys? _keys;
    private readonly Func<KeyPatterns>? _patterns;
    private KeyScanner? _scanner;
    private bool _passThrough;
    private byte[] _pending = [];
    private long _position;

    /// <param name="inner">The client's response body.</param>
    /// <param name="keys">The request's keys; their patterns are taken once, at the first write.</param>
    /// <remarks>The request's own keys, not a delegate bound to them: one object less on every request's path.</remarks>
    public KeyScrubbingStream(Stream inner, RequestKeys keys)
    {
        _inner = inner;
        _keys = keys;
    }

    /// <param name="inner">The client's response body.</param>
    /// <param name="patterns">What to overwrite; asked once, at the first write.</param>
    public KeyScrubbingStream(Stream inner, Func<KeyPatterns> patterns)
    {
        _inner = inner;
        _patterns = patterns;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_scanner is null && !_passThrough)
        {
            var patterns = _keys?.Patterns() ?? _patterns!();
            _passThrough = patterns.IsEmpty;
            _scanner = _passThrough ? null : new KeyScanner(patterns);
        }

        if (_scanner is null)
        {
            await _inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        var start = _position;
        _scanner.Feed(buffer.Span, start);

        _position += buffer.Length;
        var holdFrom = _scanner.HoldFrom(_position);
        if (_pending.Length == 0 && _scanner.Masks.Count == 0)
        {
            // The common case: nothing to overwrite and nothing held, so the caller's bytes go out uncopied.
            var release = (int)(holdFrom - start);
            if (release > 0)
            {
                await _inner.WriteAsync(buffer[..release], cancellationToken);
            }

            _pending = release == buffer.Length ? [] : buffer[release..].ToArray();
            return;
        }

        await WriteCombinedAsync(buffer, holdFrom, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Writes what was held back; call once the body is complete.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (_scanner is null)
        {
            return;
        }

        _scanner.Complete(_position);
        await WriteCombinedAsync(ReadOnlyMemory<byte>.Empty, _position, cancellationToken);
    }

    /// <summary>
    /// Released bytes only: a trailing partial match stays held (it may be the start of a key), everything before it
    /// has already been written, so the client sees whatever upstream flushed.
    /// </summary>
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Held bytes and <paramref name="buffer"/> joined, masks applied, released up to <paramref name="holdFrom"/>.</summary>
    private async Task WriteCombinedAsync(ReadOnlyMemory<byte> buffer, long holdFrom, CancellationToken cancellationToken)
    {
        var length = _pending.Length + buffer.Length;
        if (length == 0)
        {
            return;
        }

        var combinedStart = _position - length;
        var combined = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            _pending.CopyTo(combined, 0);
            buffer.Span.CopyTo(combined.AsSpan(_pending.Length));
            var masks = _scanner!.Masks;
            foreach (var (maskStart, maskEnd) in masks)
            {
                var from = (int)Math.Max(0, maskStart - combinedStart);
                var to = (int)Math.Min(length, maskEnd - combinedStart);
                if (to > from)
                {
                    combined.AsSpan(from, to - from).Fill((byte)'*');
                }
            }

            masks.Clear();
            var release = (int)(holdFrom - combinedStart);
            _pending = release == length ? [] : combined.AsSpan(release, length - release).ToArray();
            if (release > 0)
            {
                await _inner.WriteAsync(combined.AsMemory(0, release), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(combined);
        }
    }
}
