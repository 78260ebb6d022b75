using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using SmartLead.Gateway.Configuration;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// The outermost step of the request path: gives the request its id and writes one structured event when the
/// response is done — request id, method, path (never the query: that is where keys live), status, elapsed time,
/// upstream attempts, retry reasons and budget wait, and, when turned on, the masked bodies. It runs on every request,
/// so the common case allocates one small feature object and nothing else.
/// </summary>
internal sealed partial class RequestLoggingMiddleware(
    RequestDelegate next,
    LiveOptions<RequestLoggingOptions> options,
    SecretRedactor redactor,
    TimeProvider timeProvider,
    ILogger<RequestLoggingMiddleware> logger)
{
    public const string RequestIdHeader = "X-Request-Id";
    private const int MaxRequestIdLength = 128;

    private IReadOnlySet<string>? _secretFields;
    private List<string>? _secretFieldsSource;

    public async Task InvokeAsync(HttpContext context)
    {
        var started = timeProvider.GetTimestamp();
        var requestId = AcceptRequestId(context.Request.Headers[RequestIdHeader]) ?? Guid.NewGuid().ToString("N");
        context.TraceIdentifier = requestId;
        var feature = new RequestLogFeature(requestId);
        context.Features.Set(feature);
        context.Response.OnStarting(static state =>
        {
            var (ctx, id) = ((HttpContext, string))state;
            ctx.Response.Headers[RequestIdHeader] = id;
            return Task.CompletedTask;
        }, (context, requestId));

        var settings = options.Current;
        var capture = settings.Bodies == BodyLogging.None ? null : BodyCapture.Start(context, settings.MaxBodyBytes);
        try
        {
            await next(context);
        }
        finally
        {
            var elapsed = timeProvider.GetElapsedTime(started);
            var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted
                ? 499
                : context.Response.StatusCode;
            var level = status >= 500 ? LogLevel.Warning : LogLevel.Information;
            var path = context.Request.PathBase.Add(context.Request.Path).ToString();
            var reasons = feature.RetryReasons;
            var retryReasons = reasons.Count == 0 ? "none" : string.Join(',', reasons);
            if (capture is not null && (settings.Bodies == BodyLogging.All || status >= 400))
            {
                var fields = SecretFields(settings);
                var requestBody = await capture.DescribeRequestAsync(fields, redactor);
                var responseBody = capture.DescribeResponse(context.Response.ContentType, fields, redactor);
                Log.RequestWithBodies(logger, level, requestId, context.Request.Method, path, status,
                    elapsed.TotalMilliseconds, feature.Attempts, retryReasons, feature.QueueWait.TotalMilliseconds,
                    requestBody, responseBody);
            }
            else
            {
                Log.Request(logger, level, requestId, context.Request.Method, path, status,
                    elapsed.TotalMilliseconds, feature.Attempts, retryReasons, feature.QueueWait.TotalMilliseconds);
            }

            capture?.Dispose();
        }
    }

    /// <summary>A client's id is kept when it is short and plain; anything else could forge log lines.</summary>
    internal static string? AcceptRequestId(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate) || candidate.Length > MaxRequestIdLength)
        {
            return null;
        }

        foreach (var c in candidate)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return null;
            }
        }

        return candidate;
    }

    private IReadOnlySet<string> SecretFields(RequestLoggingOptions settings)
    {
        if (_secretFields is null || !ReferenceEquals(_secretFieldsSource, settings.MaskedFields))
        {
            _secretFields = new HashSet<string>(SensitiveJson.BuiltInSecretFields.Concat(settings.MaskedFields), StringComparer.OrdinalIgnoreCase);
            _secretFieldsSource = settings.MaskedFields;
        }

        return _secretFields;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Message = "{Method:l} {Path:l} answered {StatusCode} in {ElapsedMs:0.0} ms; attempts {Attempts}, retries for {RetryReasons:l}, budget wait {QueueWaitMs:0.0} ms; request {RequestId:l}")]
        public static partial void Request(ILogger logger, LogLevel level, string requestId, string method, string path,
            int statusCode, double elapsedMs, int attempts, string retryReasons, double queueWaitMs);

        [LoggerMessage(EventId = 2002, Message = "{Method:l} {Path:l} answered {StatusCode} in {ElapsedMs:0.0} ms; attempts {Attempts}, retries for {RetryReasons:l}, budget wait {QueueWaitMs:0.0} ms; request {RequestId:l}; request body {RequestBody}; response body {ResponseBody}")]
        public static partial void RequestWithBodies(ILogger logger, LogLevel level, string requestId, string method, string path,
            int statusCode, double elapsedMs, int attempts, string retryReasons, double queueWaitMs,
            string requestBody, string responseBody);
    }

    /// <summary>
    /// Keeps the first bytes of both bodies while the request flows: the request body through ASP.NET's buffering
    /// (so forwarding still reads all of it), the response body through a stream that copies as it passes.
    /// </summary>
    private sealed class BodyCapture : IDisposable
    {
        private readonly HttpContext _context;
        private readonly int _limit;
        private readonly Stream _requestBody;
        private readonly TeeStream _responseTee;
        private readonly Stream _originalResponseBody;

        private BodyCapture(HttpContext context, int limit)
        {
            _context = context;
            _limit = limit;
            context.Request.EnableBuffering(bufferThreshold: 64 * 1024);
            _requestBody = context.Request.Body;
            _originalResponseBody = context.Response.Body;
            _responseTee = new TeeStream(_originalResponseBody, limit);
            context.Response.Body = _responseTee;
        }

        public static BodyCapture Start(HttpContext context, int limit) => new(context, limit);

        public async Task<string> DescribeRequestAsync(IReadOnlySet<string> secretFields, SecretRedactor redactor)
        {
            var contentType = _context.Request.ContentType;
            if (!_requestBody.CanSeek)
            {
                return "(not captured)";
            }

            try
            {
                var length = _requestBody.Length;
                if (length == 0)
                {
                    return "(empty)";
                }

                _requestBody.Position = 0;
                var buffer = ArrayPool<byte>.Shared.Rent(_limit);
                try
                {
                    var read = await _requestBody.ReadAtLeastAsync(buffer.AsMemory(0, _limit), _limit, throwOnEndOfStream: false);
                    return Describe(buffer.AsSpan(0, read), length, contentType, secretFields, redactor);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
            {
                return "(not captured)";
            }
        }

        public string DescribeResponse(string? contentType, IReadOnlySet<string> secretFields, SecretRedactor redactor) =>
            _responseTee.TotalBytes == 0
                ? "(empty)"
                : Describe(_responseTee.Captured, _responseTee.TotalBytes, contentType, secretFields, redactor);

        public void Dispose()
        {
            _context.Response.Body = _originalResponseBody;
            _responseTee.ReleaseBuffer();
        }

        private static string Describe(ReadOnlySpan<byte> head, long totalLength, string? contentType,
            IReadOnlySet<string> secretFields, SecretRedactor redactor)
        {
            if (contentType is not null && contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                var masked = SensitiveJson.Mask(head, truncated: head.Length < totalLength, secretFields);
                if (masked is not null)
                {
                    return redactor.Redact(masked);
                }
            }

            return $"({totalLength} bytes of {contentType ?? "unknown type"})";
        }
    }

    /// <summary>Passes writes through untouched and remembers the first bytes.</summary>
    private sealed class TeeStream(Stream inner, int limit) : Stream
    {
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(limit);
        private int _captured;

        public long TotalBytes { get; private set; }

        public ReadOnlySpan<byte> Captured => _buffer.AsSpan(0, _captured);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void ReleaseBuffer()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Remember(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Remember(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Remember(ReadOnlySpan<byte> data)
        {
            TotalBytes += data.Length;
            if (_buffer is null || _captured >= limit)
            {
                return;
            }

            var take = Math.Min(limit - _captured, data.Length);
            data[..take].CopyTo(_buffer.AsSpan(_captured));
            _captured += take;
        }
    }
}
