using System.Text.Json.Serialization;

namespace SmartLead.Gateway.LeadValidation;

/// <summary>The names of the rules a payload can break, as they appear in <c>details.constraint</c>.</summary>
internal static class LeadConstraint
{
    /// <summary>Missing, null, empty or blank (the body, the lead array or an email).</summary>
    public const string Required = "required";

    /// <summary>Wrong JSON type: body not an object, lead array not an array, lead not an object, email not a string.</summary>
    public const string Type = "type";

    /// <summary>An email that is not a valid address.</summary>
    public const string Format = "format";

    /// <summary>An empty lead array: the import would cost a request and do nothing.</summary>
    public const string MinItems = "minItems";

    /// <summary>More leads than <see cref="LeadsOptions.MaxLeadsPerRequest"/>.</summary>
    public const string MaxItems = "maxItems";

    /// <summary>The body is not JSON.</summary>
    public const string Json = "json";

    /// <summary>The body is not UTF-8.</summary>
    public const string Encoding = "encoding";

    /// <summary>The body nests deeper than <see cref="LeadPayloadValidator.MaxDepth"/>.</summary>
    public const string MaxDepth = "maxDepth";
}

/// <summary>One offending field: a path and the rule it breaks, never its value.</summary>
internal sealed record LeadFieldError(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("constraint")] string Constraint);

/// <summary>
/// The outcome of checking one import body. A refusal carries a message and field paths built only from the
/// array name, indexes, counts and rule names: nothing from the body is ever copied into it.
/// </summary>
internal sealed class LeadValidationResult
{
    private LeadValidationResult(
        bool isValid, int leadCount, string? message, string? field, string? constraint,
        IReadOnlyList<LeadFieldError> errors, int errorCount, int? maximum)
    {
        IsValid = isValid;
        LeadCount = leadCount;
        Message = message;
        Field = field;
        Constraint = constraint;
        Errors = errors;
        ErrorCount = errorCount;
        Maximum = maximum;
    }

    public bool IsValid { get; }

    /// <summary>Items in the lead array (all of them, also past the maximum); 0 when the body could not be read that far.</summary>
    public int LeadCount { get; }

    public string? Message { get; }

    /// <summary>The first offending field (<c>lead_list[2].email</c>); null when the body as a whole is refused.</summary>
    public string? Field { get; }

    public string? Constraint { get; }

    /// <summary>Offending fields in body order (a too-long batch first), at most <see cref="LeadPayloadValidator.MaxReportedErrors"/>.</summary>
    public IReadOnlyList<LeadFieldError> Errors { get; }

    /// <summary>All offending fields, also those past the reporting cap.</summary>
    public int ErrorCount { get; }

    /// <summary>The maximum in force when the batch was too long.</summary>
    public int? Maximum { get; }

    public static LeadValidationResult Valid(int leadCount) =>
        new(true, leadCount, null, null, null, [], 0, null);

    /// <summary>The body as a whole is refused (empty, not UTF-8, not JSON, too deep, not an object).</summary>
    public static LeadValidationResult BodyRefused(string constraint, string message) =>
        new(false, 0, message, null, constraint, [], 1, null);

    public static LeadValidationResult FieldsRefused(
        string message, IReadOnlyList<LeadFieldError> errors, int errorCount, int leadCount, int? maximum) =>
        new(false, leadCount, message, errors[0].Field, errors[0].Constraint, errors, errorCount, maximum);

    /// <summary>The <c>details</c> object of the error envelope.</summary>
    public LeadValidationDetails ToDetails() => new(
        Field,
        Constraint ?? LeadConstraint.Json,
        Errors.Count == 0 ? null : Errors,
        Errors.Count == 0 ? null : ErrorCount,
        Maximum,
        Maximum is null ? null : LeadCount);
}

/// <summary>
/// <c>details</c> of a 400 <c>VALIDATION_ERROR</c>. Names follow SmartLead's envelope (<c>field</c>,
/// <c>constraint</c>) and its snake_case for the rest; null members are left out.
/// </summary>
internal sealed record LeadValidationDetails(
    [property: JsonPropertyName("field")] string? Field,
    [property: JsonPropertyName("constraint")] string Constraint,
    [property: JsonPropertyName("errors")] IReadOnlyList<LeadFieldError>? Errors,
    [property: JsonPropertyName("error_count")] int? ErrorCount,
    [property: JsonPropertyName("maximum")] int? Maximum,
    [property: JsonPropertyName("count")] int? Count);
