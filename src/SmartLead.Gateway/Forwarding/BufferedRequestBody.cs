using System.Globalization;
using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// A request body read once, within one limit, and kept in memory: the lead check reads it, and every upstream attempt
/// replays it. The lead check reads an import's body from the client (limit <c>Leads:MaxBodyBytes</c>); the chain's
/// first handler takes that same buffer, or reads any other body from YARP's content (<c>Retry:MaxBufferedBodyBytes</c>).
/// Memory grows with the bytes that arrive, never with what a client merely declares.
/// </summary>
internal sealed class BufferedRequestBody
{
    private const int InitialCapacity = 16 * 1024;

    private readonly byte[] _bytes;
    private readonly int _length;

    private BufferedRequestBody(byte[] bytes, int length)
    {
        _bytes = bytes;
        _length = length;
    }

    public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, _length);

    public int Length => _length;

    /// <summary>
    /// Reads <paramref name="body"/> to its end, or returns null as soon as it is known to pass
    /// <paramref name="limit"/> (a declared length is believed for that without reading anything).
    /// </summary>
    public static async Task<BufferedRequestBody?> ReadAsync(Stream body, long? declaredLength, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (declaredLength > limit)
        {
            return null;
        }

        using var kept = new MemoryStream((int)Math.Min(declaredLength ?? InitialCapacity, InitialCapacity));
        var chunk = new byte[InitialCapacity];
        while (true)
        {
            var read = await body.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                return From(kept);
            }

            if (kept.Length + read > limit)
            {
                return null;
            }

            kept.Write(chunk, 0, read);
        }
    }

    /// <summary>
    /// Copies <paramref name="content"/> (YARP's single-use request content) into memory, or returns null when it
    /// passes <paramref name="limit"/>. The content is always copied to its end, the excess dropped unkept: failing
    /// YARP's copy would make YARP report a request-body error instead of the gateway's 413.
    /// </summary>
    public static async Task<BufferedRequestBody?> ReadAsync(HttpContent content, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var declared = content.Headers.ContentLength;
        if (declared > limit)
        {
            return null;
        }

        using var sink = new BoundedSink(limit, (int)Math.Min(declared ?? InitialCapacity, InitialCapacity));
        await content.CopyToAsync(sink, cancellationToken);
        return sink.Overflowed ? null : From(sink.Kept);
    }

    /// <summary>The one refusal of a body over its limit: 413 <c>PAYLOAD_TOO_LARGE</c>, naming the limit.</summary>
    public static GatewayRejectedException TooLarge(long limit) => new(
        StatusCodes.Status413PayloadTooLarge,
        GatewayError.PayloadTooLarge,
        string.Create(CultureInfo.InvariantCulture, $"The request body is larger than {limit} bytes, the most the gateway accepts for this request."),
        details: new { max_bytes = limit });

    /// <summary>Replayable content with the original content headers; the length is now known exactly.</summary>
    public ByteArrayContent ToContent(HttpContent original)
    {
        ArgumentNullException.ThrowIfNull(original);
        var replayable = new ByteArrayContent(_bytes, 0, _length);
        foreach (var header in original.Headers)
        {
            if (!string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                replayable.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        return replayable;
    }

    /// <summary>A read-only stream over the bytes, for whatever reads the request body after the check.</summary>
    public MemoryStream ToStream() => new(_bytes, 0, _length, writable: false);

    private static BufferedRequestBody From(MemoryStream kept) =>
        kept.TryGetBuffer(out var segment) ? new(segment.Array!, segment.Count) : new(kept.ToArray(), (int)kept.Length);

    /// <summary>Keeps at most the limit and notes any excess without failing the writer.</summary>
    private sealed class BoundedSink(long limit, int capacity) : Stream
    {
        public MemoryStream Kept { get; } = new(capacity);

        public bool Overflowed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Kept.Length;

        public override long Position
        {
            get => Kept.Length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Overflowed || Kept.Length + buffer.Length > limit)
            {
                Overflowed = true;
                return;
            }

            Kept.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Kept.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
