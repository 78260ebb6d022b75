using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace SmartLead.Gateway.LeadValidation;

/// <summary>
/// Checks a lead import body the way SmartLead would, in one forward pass of <see cref="Utf8JsonReader"/> over
/// the buffered bytes: no document, no strings for valid values, no copy of the body. Pure: same bytes and
/// limits, same answer.
/// </summary>
internal static class LeadPayloadValidator
{
    /// <summary>Deepest nesting accepted; custom fields need a handful of levels, 64 is System.Text.Json's own default.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most offending fields listed in <c>details.errors</c>; the count covers the rest.</summary>
    public const int MaxReportedErrors = 100;

    // Escapes take at most six bytes per unescaped byte (\u00XX); an escaped value longer than this cannot
    // unescape to an address of legal length.
    private const int MaxEscapedEmailBytes = EmailRule.MaxLength * 6;

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        // One above ours, so that the reader never throws for depth before we can name the rule.
        MaxDepth = MaxDepth + 1,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static ReadOnlySpan<byte> JsonWhitespace => " \t\r\n"u8;

    private static ReadOnlySpan<byte> EmailProperty => "email"u8;

    /// <summary>The <see cref="LeadImportEndpoint.AcceptedArrayProperties"/> name the reader is on, or null.</summary>
    private static string? ArrayName(ref Utf8JsonReader reader)
    {
        var names = LeadImportEndpoint.Utf8AcceptedArrayProperties;
        for (var i = 0; i < names.Count; i++)
        {
            if (reader.ValueTextEquals(names[i]))
            {
                return LeadImportEndpoint.AcceptedArrayProperties[i];
            }
        }

        return null;
    }

    public static LeadValidationResult Validate(ReadOnlySpan<byte> body, LeadImportEndpoint endpoint, int maxLeads)
    {
        // RFC 8259 lets a parser ignore a leading BOM, and SmartLead's body parser decodes it away, so it is
        // skipped here and forwarded untouched with the rest.
        if (body.StartsWith(Utf8Bom))
        {
            body = body[Utf8Bom.Length..];
        }

        if (body.Trim(JsonWhitespace).IsEmpty)
        {
            return LeadValidationResult.BodyRefused(
                LeadConstraint.Required,
                string.Create(CultureInfo.InvariantCulture, $"request body is empty; a JSON object with {endpoint.ArrayProperty} is required"));
        }

        // The reader only checks the UTF-8 of strings it is asked to decode; one vectorised pass settles the
        // whole body, names and values we skip included, before anything else looks at it.
        if (!Utf8.IsValid(body))
        {
            return LeadValidationResult.BodyRefused(LeadConstraint.Encoding, "request body is not valid UTF-8");
        }

        var reader = new Utf8JsonReader(body, ReaderOptions);
        try
        {
            return Walk(ref reader, endpoint, maxLeads);
        }
        catch (JsonException ex)
        {
            // The reader's own message quotes the offending character: only the position goes out.
            return LeadValidationResult.BodyRefused(
                LeadConstraint.Json,
                string.Create(CultureInfo.InvariantCulture,
                    $"request body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})"));
        }
    }

    private static LeadValidationResult Walk(ref Utf8JsonReader reader, LeadImportEndpoint endpoint, int maxLeads)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return LeadValidationResult.BodyRefused(LeadConstraint.Type, "request body must be a JSON object");
        }

        // A flat token loop with a little state instead of recursion: depth 1 holds the body's properties,
        // depth 2 the array's items, depth 3 each lead's properties; anything deeper is only checked for syntax.
        var problems = new Problems(endpoint.ArrayProperty);
        var arrayFound = false;
        var inArray = false;
        var inLead = false;
        string? nextArray = null;
        var array = endpoint.ArrayProperty;
        var nextIsEmail = false;
        var leadHasEmail = false;
        var index = -1;
        var leadCount = 0;

        while (reader.Read())
        {
            var token = reader.TokenType;
            var depth = reader.CurrentDepth;
            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray && depth >= MaxDepth)
            {
                return LeadValidationResult.BodyRefused(
                    LeadConstraint.MaxDepth,
                    string.Create(CultureInfo.InvariantCulture, $"request body nests deeper than {MaxDepth} levels"));
            }

            switch (depth)
            {
                case 1 when token == JsonTokenType.PropertyName:
                    nextArray = ArrayName(ref reader);
                    break;

                case 1 when nextArray is not null:
                    // Names may repeat, and more than one accepted name may be there: every array under any of them
                    // is checked, as the caller cannot know which one SmartLead's parser would keep.
                    array = nextArray;
                    nextArray = null;
                    arrayFound = true;
                    if (token == JsonTokenType.StartArray)
                    {
                        inArray = true;
                        index = -1;
                    }
                    else
                    {
                        problems.Add(Problem.ArrayNotArray, -1, array);
                    }

                    break;

                case 1 when token == JsonTokenType.EndArray && inArray:
                    inArray = false;
                    leadCount = index + 1;
                    if (leadCount == 0)
                    {
                        problems.Add(Problem.ArrayEmpty, -1, array);
                    }
                    else if (leadCount > maxLeads)
                    {
                        problems.TooMany(leadCount, maxLeads, array);
                    }

                    break;

                case 2 when inArray:
                    if (token == JsonTokenType.StartObject)
                    {
                        index++;
                        inLead = true;
                        leadHasEmail = false;
                    }
                    else if (token == JsonTokenType.EndObject)
                    {
                        inLead = false;
                        if (!leadHasEmail)
                        {
                            problems.Add(Problem.EmailMissing, index, array);
                        }
                    }
                    else if (token != JsonTokenType.EndArray)
                    {
                        // A scalar or an array where a lead belongs; its own tokens sit deeper and are ignored.
                        index++;
                        problems.Add(Problem.LeadNotObject, index, array);
                    }

                    break;

                case 3 when inLead && token == JsonTokenType.PropertyName:
                    nextIsEmail = reader.ValueTextEquals(EmailProperty);
                    break;

                case 3 when nextIsEmail:
                    nextIsEmail = false;
                    leadHasEmail = true;
                    var problem = CheckEmail(ref reader);
                    if (problem != Problem.None)
                    {
                        problems.Add(problem, index, array);
                    }

                    break;

                default:
                    break;
            }
        }

        if (!arrayFound)
        {
            problems.Add(Problem.ArrayMissing, -1, endpoint.ArrayProperty);
        }

        return problems.ToResult(leadCount);
    }

    private static Problem CheckEmail(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return Problem.EmailMissing;
            case JsonTokenType.String:
                break;
            default:
                return Problem.EmailNotString;
        }

        if (!reader.ValueIsEscaped)
        {
            return Classify(reader.ValueSpan);
        }

        if (reader.ValueSpan.Length > MaxEscapedEmailBytes)
        {
            return Problem.EmailInvalid;
        }

        Span<byte> unescaped = stackalloc byte[MaxEscapedEmailBytes];
        int length;
        try
        {
            length = reader.CopyString(unescaped);
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate: legal JSON, but no text, so no address.
            return Problem.EmailInvalid;
        }

        return Classify(unescaped[..length]);
    }

    private static Problem Classify(ReadOnlySpan<byte> email)
    {
        if (EmailRule.IsValid(email))
        {
            return Problem.None;
        }

        return email.Trim(JsonWhitespace).IsEmpty ? Problem.EmailMissing : Problem.EmailInvalid;
    }

    private enum Problem
    {
        None,
        ArrayMissing,
        ArrayNotArray,
        ArrayEmpty,
        LeadNotObject,
        EmailMissing,
        EmailNotString,
        EmailInvalid,
    }

    /// <summary>Collects what is wrong; allocates nothing until the first problem.</summary>
    private struct Problems(string documentedName)
    {
        private List<LeadFieldError>? _errors;
        private int _count;
        private Problem _first;
        private int _firstIndex;
        private string _firstArray = documentedName;
        private string _tooManyArray = documentedName;
        private int _tooManyCount;
        private int _maximum;

        public void Add(Problem problem, int index, string arrayName)
        {
            if (_count++ == 0)
            {
                _first = problem;
                _firstIndex = index;
                _firstArray = arrayName;
            }

            _errors ??= [];
            if (_errors.Count < MaxReportedErrors)
            {
                _errors.Add(new LeadFieldError(FieldOf(problem, index, arrayName), ConstraintOf(problem)));
            }
        }

        public void TooMany(int count, int maximum, string arrayName)
        {
            // Splitting the batch comes before fixing any lead, so the length leads the report.
            _count++;
            _tooManyCount = Math.Max(_tooManyCount, count);
            _tooManyArray = arrayName;
            _maximum = maximum;
            _errors ??= [];
            _errors.Insert(0, new LeadFieldError(arrayName, LeadConstraint.MaxItems));
            if (_errors.Count > MaxReportedErrors)
            {
                _errors.RemoveAt(_errors.Count - 1);
            }
        }

        public readonly LeadValidationResult ToResult(int leadCount)
        {
            if (_errors is null)
            {
                return LeadValidationResult.Valid(leadCount);
            }

            var message = _tooManyCount > 0
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{_tooManyArray} has {_tooManyCount} leads; at most {_maximum} are allowed per request")
                : MessageOf(_first, _firstIndex, _firstArray);
            if (_count > 1)
            {
                message = string.Create(CultureInfo.InvariantCulture,
                    $"{message} ({_count} problems in all, listed in details.errors)");
            }

            return LeadValidationResult.FieldsRefused(
                message, _errors, _count, _tooManyCount > 0 ? _tooManyCount : leadCount, _tooManyCount > 0 ? _maximum : null);
        }

        private static string FieldOf(Problem problem, int index, string arrayName) => problem switch
        {
            Problem.ArrayMissing or Problem.ArrayNotArray or Problem.ArrayEmpty => arrayName,
            Problem.LeadNotObject => string.Create(CultureInfo.InvariantCulture, $"{arrayName}[{index}]"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{arrayName}[{index}].email"),
        };

        private static string ConstraintOf(Problem problem) => problem switch
        {
            Problem.ArrayMissing or Problem.EmailMissing => LeadConstraint.Required,
            Problem.ArrayEmpty => LeadConstraint.MinItems,
            Problem.ArrayNotArray or Problem.LeadNotObject or Problem.EmailNotString => LeadConstraint.Type,
            _ => LeadConstraint.Format,
        };

        private static string MessageOf(Problem problem, int index, string arrayName)
        {
            var field = FieldOf(problem, index, arrayName);
            return problem switch
            {
                Problem.ArrayMissing => $"{arrayName} is required: the leads go in an array named {arrayName}",
                Problem.ArrayNotArray => $"{arrayName} must be an array of leads",
                Problem.ArrayEmpty => $"{arrayName} must contain at least 1 lead",
                Problem.LeadNotObject => $"{field} must be an object",
                Problem.EmailMissing => $"{field} is required: every lead needs a valid email",
                Problem.EmailNotString => $"{field} must be a string",
                _ => $"{field} is not a valid email address",
            };
        }
    }
}
