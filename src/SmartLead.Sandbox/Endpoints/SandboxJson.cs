using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace SmartLead.Sandbox.Endpoints;

/// <summary>SmartLead speaks snake_case JSON and wraps its errors in one envelope; every sandbox answer goes through here.</summary>
internal static class SandboxJson
{
    public const string ValidationError = "VALIDATION_ERROR";
    public const string NotFound = "NOT_FOUND";
    public const string RateLimitExceeded = "RATE_LIMIT_EXCEEDED";

    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static IResult Ok(object body, int statusCode = StatusCodes.Status200OK) =>
        Results.Json(body, Options, statusCode: statusCode);

    public static IResult Error(int statusCode, string code, string message, object? details = null) =>
        Results.Json(new ErrorEnvelope(new ErrorBody(code, message, details)), Options, statusCode: statusCode);

    public static IResult Validation(string message, string field, string constraint) =>
        Error(StatusCodes.Status400BadRequest, ValidationError, message, new ValidationDetails(field, constraint));

    public static IResult NotFoundError(string message) => Error(StatusCodes.Status404NotFound, NotFound, message);

    public static IResult RateLimited(int retryAfterSeconds) =>
        Results.Json(
            new RateLimitEnvelope(new RateLimitBody(
                RateLimitExceeded,
                $"Too many requests. Please retry after {retryAfterSeconds} seconds.",
                retryAfterSeconds)),
            Options,
            statusCode: StatusCodes.Status429TooManyRequests);

    /// <summary>Reads the body as JSON; a body that is not JSON is SmartLead's 400, not an exception.</summary>
    public static async Task<(JsonDocument? Document, IResult? Error)> ReadBodyAsync(HttpRequest request)
    {
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted);
            return (document, null);
        }
        catch (JsonException)
        {
            return (null, Validation("Request body must be valid JSON", "body", "json"));
        }
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    private sealed record ErrorEnvelope(ErrorBody Error);

    private sealed record ErrorBody(
        string Code,
        string Message,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? Details);

    private sealed record ValidationDetails(string Field, string Constraint);

    private sealed record RateLimitEnvelope(RateLimitBody Error);

    private sealed record RateLimitBody(string Code, string Message, int RetryAfter);
}
