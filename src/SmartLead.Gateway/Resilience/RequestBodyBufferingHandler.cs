using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// Reads the request body into memory, up to <see cref="RetryOptions.MaxBufferedBodyBytes"/>, before any attempt, and
/// sends a copy that can be replayed. YARP's request content streams the client's body once; buffered, every retry
/// sends the same bytes, chunked uploads included. A larger body is refused with 413 before SmartLead is contacted.
/// </summary>
/// <remarks>
/// Not <c>HttpContent.LoadIntoBufferAsync(max)</c>: it fails a chunked body over the limit by throwing from the
/// buffer YARP's content copies into, and YARP then reports that copy failure (a request-body error, 502) instead of
/// the 413. Here an over-long body is drained without being kept, so YARP's copy succeeds and the forwarder-error
/// mapper sees the <see cref="GatewayRejectedException"/>. A declared Content-Length over the limit is refused
/// without reading anything.
/// </remarks>
internal sealed partial class RequestBodyBufferingHandler : DelegatingHandler
{
    private readonly LiveOptions<RetryOptions> _options;
    private readonly ILogger _logger;

    public RequestBodyBufferingHandler(LiveOptions<RetryOptions> options, ILogger<RequestBodyBufferingHandler> logger)
    {
        _options = options;
        _logger = logger;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Content is { } content)
        {
            var limit = _options.Current.MaxBufferedBodyBytes;
            var declared = content.Headers.ContentLength;
            if (declared > limit)
            {
                throw TooLarge(limit);
            }

            // Grown as bytes arrive: a declared length alone (a slow client's promise) must not reserve memory.
            using var buffer = new BoundedBuffer(limit, (int)Math.Min(declared ?? 0, InitialCapacity));
            await content.CopyToAsync(buffer, cancellationToken);
            if (buffer.Overflowed)
            {
                throw TooLarge(limit);
            }

            request.Content = Replayable(content, buffer);
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private static ByteArrayContent Replayable(HttpContent original, BoundedBuffer buffer)
    {
        var (bytes, length) = buffer.Contents();
        var replayable = new ByteArrayContent(bytes, 0, length);
        foreach (var header in original.Headers)
        {
            // The length is now known exactly; ByteArrayContent states it.
            if (!string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                replayable.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        return replayable;
    }

    private GatewayRejectedException TooLarge(long limit)
    {
        Log.BodyTooLarge(_logger, limit);
        return new GatewayRejectedException(
            StatusCodes.Status413PayloadTooLarge,
            GatewayError.PayloadTooLarge,
            $"The request body is larger than the gateway buffers ({limit} bytes).",
            details: new { limit });
    }

    /// <summary>Keeps at most the limit and notes any excess without failing the writer.</summary>
    private const int InitialCapacity = 64 * 1024;

    private sealed class BoundedBuffer(long limit, int capacity) : Stream
    {
        private readonly MemoryStream _kept = new(capacity);

        public bool Overflowed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _kept.Length;

        public override long Position
        {
            get => _kept.Length;
            set => throw new NotSupportedException();
        }

        /// <summary>The kept bytes without another copy: the stream's own buffer and how much of it is used.</summary>
        public (byte[] Bytes, int Length) Contents() =>
            _kept.TryGetBuffer(out var segment) ? (segment.Array!, segment.Count) : (_kept.ToArray(), (int)_kept.Length);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Overflowed || _kept.Length + buffer.Length > limit)
            {
                Overflowed = true;
                return;
            }

            _kept.Write(buffer);
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
                _kept.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6020, Level = LogLevel.Information,
            Message = "Request body over {Limit} bytes refused before forwarding")]
        public static partial void BodyTooLarge(ILogger logger, long limit);
    }
}
