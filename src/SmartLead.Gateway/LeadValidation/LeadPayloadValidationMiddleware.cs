using System.Buffers;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.LeadValidation;

/// <summary>
/// In YARP's proxy pipeline: reads a lead import's body within the size limit, refuses what SmartLead would
/// refuse (each refusal would still cost a request of the key's budget), and otherwise hands the very same bytes
/// on for forwarding. Every other request goes straight to the next step, body unread.
/// </summary>
internal sealed partial class LeadPayloadValidationMiddleware
{
    private const int UnknownLengthFirstBuffer = 16 * 1024;

    private readonly RequestDelegate _next;
    private readonly LiveOptions<LeadsOptions> _options;
    private readonly ILogger<LeadPayloadValidationMiddleware> _logger;

    public LeadPayloadValidationMiddleware(
        RequestDelegate next, LiveOptions<LeadsOptions> options, ILogger<LeadPayloadValidationMiddleware> logger)
    {
        _next = next;
        _options = options;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        return LeadImportRoutes.TryMatch(request.Method, request.Path, out var endpoint)
            ? CheckAndForwardAsync(context, endpoint)
            : _next(context);
    }

    private async Task CheckAndForwardAsync(HttpContext context, LeadImportEndpoint endpoint)
    {
        // One snapshot per request: a reload half-way must not mix two sets of limits.
        var options = _options.Current;
        var request = context.Request;
        var maxBytes = options.MaxBodyBytes;

        if (request.ContentLength > maxBytes)
        {
            Log.DeclaredTooLarge(_logger, endpoint.Name, request.ContentLength.Value, maxBytes);
            await WriteTooLargeAsync(context, maxBytes);
            return;
        }

        byte[]? buffer = null;
        try
        {
            int length;
            try
            {
                (buffer, length) = await ReadBoundedAsync(request.Body, request.ContentLength, maxBytes, context.RequestAborted);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                // Kestrel's own MaxRequestBodySize is lower than ours: same answer, same envelope.
                Log.GrewTooLarge(_logger, endpoint.Name, maxBytes);
                await WriteTooLargeAsync(context, maxBytes);
                return;
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
            {
                Log.ClientGone(_logger, endpoint.Name);
                return;
            }

            if (length > maxBytes)
            {
                Log.GrewTooLarge(_logger, endpoint.Name, maxBytes);
                await WriteTooLargeAsync(context, maxBytes);
                return;
            }

            var result = LeadPayloadValidator.Validate(buffer.AsSpan(0, length), endpoint, options.MaxLeadsPerRequest);
            if (!result.IsValid)
            {
                Log.Refused(_logger, endpoint.Name, result.Constraint, result.Field, result.ErrorCount, result.LeadCount);
                await GatewayError.WriteAsync(
                    context, StatusCodes.Status400BadRequest, GatewayError.ValidationError, result.Message!, result.ToDetails());
                return;
            }

            Log.Accepted(_logger, endpoint.Name, result.LeadCount, length);
            await ForwardBufferedAsync(context, buffer, length);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task ForwardBufferedAsync(HttpContext context, byte[] buffer, int length)
    {
        // Headers stay as the client sent them (Content-Length or chunked), so YARP forwards the body exactly as
        // it arrived. YARP waits for its request body copy before returning; disposing the stream first still
        // makes any late read fail loudly instead of reading a pooled buffer that is someone else's by then.
        var original = context.Request.Body;
        using var replay = new MemoryStream(buffer, 0, length, writable: false);
        context.Request.Body = replay;
        try
        {
            await _next(context);
        }
        finally
        {
            context.Request.Body = original;
        }
    }

    /// <summary>
    /// Reads the whole body into a pooled buffer, but never more than <paramref name="maxBytes"/> + 1 bytes:
    /// one byte past the limit is proof enough, whatever the client declared.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBoundedAsync(
        Stream body, long? declaredLength, int maxBytes, CancellationToken cancellationToken)
    {
        var cap = maxBytes + 1;
        // A declared length sizes the buffer in one go; one spare byte lets the final read see the end.
        var size = declaredLength is { } declared ? (int)declared + 1 : Math.Min(UnknownLengthFirstBuffer, cap);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var length = 0;
        try
        {
            while (length < cap)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, cap));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var room = Math.Min(buffer.Length, cap) - length;
                var read = await body.ReadAsync(buffer.AsMemory(length, room), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static Task WriteTooLargeAsync(HttpContext context, int maxBytes) =>
        GatewayError.WriteAsync(
            context,
            StatusCodes.Status413PayloadTooLarge,
            GatewayError.PayloadTooLarge,
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"request body is larger than {maxBytes} bytes, the most a lead import may carry"),
            new { max_bytes = maxBytes });

    private static partial class Log
    {
        [LoggerMessage(EventId = 5101, Level = LogLevel.Debug,
            Message = "Lead import {Endpoint} checked: {LeadCount} leads in {BodyBytes} bytes, forwarding unchanged")]
        public static partial void Accepted(ILogger logger, string endpoint, int leadCount, int bodyBytes);

        // Field is a path such as lead_list[2].email; no value from the body is ever logged.
        [LoggerMessage(EventId = 5102, Level = LogLevel.Information,
            Message = "Lead import {Endpoint} refused: {Constraint} at {Field}, {ErrorCount} problems, {LeadCount} leads")]
        public static partial void Refused(ILogger logger, string endpoint, string? constraint, string? field, int errorCount, int leadCount);

        [LoggerMessage(EventId = 5103, Level = LogLevel.Information,
            Message = "Lead import {Endpoint} refused unread: declared {ContentLength} bytes, over the limit of {MaxBodyBytes}")]
        public static partial void DeclaredTooLarge(ILogger logger, string endpoint, long contentLength, int maxBodyBytes);

        [LoggerMessage(EventId = 5104, Level = LogLevel.Information,
            Message = "Lead import {Endpoint} refused: body passed the limit of {MaxBodyBytes} bytes while being read")]
        public static partial void GrewTooLarge(ILogger logger, string endpoint, int maxBodyBytes);

        [LoggerMessage(EventId = 5105, Level = LogLevel.Debug,
            Message = "Lead import {Endpoint} abandoned: the client went away while sending the body")]
        public static partial void ClientGone(ILogger logger, string endpoint);
    }
}
