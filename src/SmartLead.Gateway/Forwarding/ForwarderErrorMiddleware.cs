using System.Globalization;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace SmartLead.Gateway.Forwarding;

/// <summary>
/// Turns YARP's bare error statuses (an empty 502 or 504) into SmartLead's envelope. Upstream answers of any status
/// are untouched: this acts only when YARP reports that no answer could be relayed. Every answer, forwarded or the
/// gateway's own, says in <c>X-Gateway-Attempts</c> how many upstream attempts it took (0: SmartLead was not asked),
/// so a client can tell that the gateway has retried already.
/// </summary>
internal sealed partial class ForwarderErrorMiddleware(RequestDelegate next, ILogger<ForwarderErrorMiddleware> logger)
{
    public const string AttemptsHeader = "X-Gateway-Attempts";

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<RequestLogFeature>() is not null)
        {
            // A static callback with the context as state: no closure per request. The log feature is found again
            // when the answer starts (the same one; nothing replaces it).
            context.Response.OnStarting(static state =>
            {
                var ctx = (HttpContext)state;
                ctx.Response.Headers[AttemptsHeader] = ctx.Features.Get<RequestLogFeature>()!.Attempts.ToString(CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            }, context);
        }

        await next(context);

        var error = context.GetForwarderErrorFeature();
        if (error is null || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var rejection = Find<GatewayRejectedException>(error.Exception);
        if (rejection is not null)
        {
            await GatewayError.WriteAsync(context, rejection);
            return;
        }

        var timedOut = error.Error == ForwarderError.RequestTimedOut || IsTimeout(error.Exception);
        Log.UpstreamFailed(logger, error.Error, error.Exception?.GetType().Name ?? "none");
        if (timedOut)
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status504GatewayTimeout, GatewayError.UpstreamTimeout,
                "SmartLead did not answer in time.");
        }
        else if (error.Error is ForwarderError.RequestBodyClient)
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status400BadRequest, GatewayError.ValidationError,
                "The request body could not be read from the client.");
        }
        else
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status502BadGateway, GatewayError.UpstreamUnavailable,
                "SmartLead could not be reached.");
        }
    }

    private static bool IsTimeout(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // Polly's per-attempt timeout and the BCL's TimeoutException both mean SmartLead ran out of time.
            if (e is TimeoutException or Polly.Timeout.TimeoutRejectedException)
            {
                return true;
            }
        }

        return false;
    }

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "No answer from SmartLead could be relayed: {ForwarderError} ({ExceptionType})")]
        public static partial void UpstreamFailed(ILogger logger, ForwarderError forwarderError, string exceptionType);
    }
}
