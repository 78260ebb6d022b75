using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.LeadValidation;

/// <summary>
/// In YARP's proxy pipeline: reads a lead import's body once, within <see cref="LeadsOptions.MaxBodyBytes"/>, refuses
/// what SmartLead would refuse (each refusal would still cost a request of the key's budget), and otherwise hands the
/// very same buffer on for forwarding and for every attempt's replay. Every other request goes straight on, body unread.
/// </summary>
internal sealed partial class LeadPayloadValidationMiddleware
{
    private readonly RequestDelegate _next;
    private readonly LiveOptions<LeadsOptions> _options;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<LeadPayloadValidationMiddleware> _logger;

    public LeadPayloadValidationMiddleware(
        RequestDelegate next, LiveOptions<LeadsOptions> options, GatewayMetrics metrics, ILogger<LeadPayloadValidationMiddleware> logger)
    {
        _next = next;
        _options = options;
        _metrics = metrics;
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
            await RefuseTooLargeAsync(context, maxBytes);
            return;
        }

        BufferedRequestBody? body;
        try
        {
            body = await BufferedRequestBody.ReadAsync(request.Body, request.ContentLength, maxBytes, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own MaxRequestBodySize is lower than ours: same answer, same envelope.
            body = null;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            Log.ClientGone(_logger, endpoint.Name);
            return;
        }

        if (body is null)
        {
            Log.GrewTooLarge(_logger, endpoint.Name, maxBytes);
            await RefuseTooLargeAsync(context, maxBytes);
            return;
        }

        var result = LeadPayloadValidator.Validate(body.Span, endpoint, options.MaxLeadsPerRequest);
        if (!result.IsValid)
        {
            Log.Refused(_logger, endpoint.Name, result.Constraint, result.Field, result.ErrorCount, result.LeadCount);
            _metrics.LeadRejection(result.Constraint ?? LeadConstraint.Json);
            await GatewayError.WriteAsync(
                context, StatusCodes.Status400BadRequest, GatewayError.ValidationError, result.Message!, result.ToDetails());
            return;
        }

        Log.Accepted(_logger, endpoint.Name, result.LeadCount, body.Length);

        // Headers stay as the client sent them (Content-Length or chunked), so YARP forwards the body as it arrived;
        // the forwarder's chain replays this very buffer (the transforms hand it over) instead of reading it again.
        context.Features.Set(body);
        var original = request.Body;
        using var replay = body.ToStream();
        request.Body = replay;
        try
        {
            await _next(context);
        }
        finally
        {
            request.Body = original;
        }
    }

    private Task RefuseTooLargeAsync(HttpContext context, int maxBytes)
    {
        _metrics.LeadRejection("payload_too_large");
        var refusal = BufferedRequestBody.TooLarge(maxBytes);
        return GatewayError.WriteAsync(context, refusal.StatusCode, refusal.Code, refusal.Message, refusal.Details);
    }

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
