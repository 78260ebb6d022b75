using System.Runtime.CompilerServices;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;
using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// Stands in front of every sink the gateway writes to and takes SmartLead keys out of each event, and masks every
/// email address (a lead's email can sit in a query or a path): its message template, every property (however
/// deeply nested) and its exception text. YARP logs the upstream URL with the
/// injected key and ASP.NET logs the inbound query; turning those categories down is not enough, because ops turn
/// levels up when debugging. The fast path, taken by almost every event, only looks and passes the event on.
/// </summary>
internal sealed class RedactingSink(SecretRedactor redactor, ILogEventSink inner) : ILogEventSink, IDisposable
{
    private static readonly MessageTemplateParser TemplateParser = new();

    public void Emit(LogEvent logEvent)
    {
        inner.Emit(NeedsRedaction(logEvent) ? Redact(logEvent) : logEvent);
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();

    // Templates found clean, with the keys they were checked against. Serilog parses each template text once and
    // hands out the same instance, so the constant templates of [LoggerMessage] events (the request log's among them)
    // are scanned once per registered set of keys, not on every event; a template that holds text built at run time
    // is a new instance and is scanned. Weak keys: a template Serilog drops from its cache is dropped here too.
    private readonly ConditionalWeakTable<MessageTemplate, KeyPatterns> _cleanTemplates = [];

    private bool NeedsRedaction(LogEvent logEvent)
    {
        if (TemplateDirty(logEvent.MessageTemplate))
        {
            return true;
        }

        // Serilog keeps the properties in a Dictionary: enumerated as one, the enumerator is not boxed.
        if (logEvent.Properties is Dictionary<string, LogEventPropertyValue> dictionary)
        {
            foreach (var property in dictionary)
            {
                if (Contains(property.Value))
                {
                    return true;
                }
            }
        }
        else
        {
            foreach (var property in logEvent.Properties)
            {
                if (Contains(property.Value))
                {
                    return true;
                }
            }
        }

        return logEvent.Exception is not null && Dirty(logEvent.Exception.ToString());
    }

    private bool TemplateDirty(MessageTemplate template)
    {
        var patterns = redactor.Patterns;
        if (_cleanTemplates.TryGetValue(template, out var checkedAgainst) && ReferenceEquals(checkedAgainst, patterns))
        {
            return false;
        }

        if (Dirty(template.Text))
        {
            return true;
        }

        _cleanTemplates.AddOrUpdate(template, patterns);
        return false;
    }

    private bool Contains(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: string text } => Dirty(text),
        ScalarValue { Value: Uri uri } => Dirty(uri.OriginalString),
        ScalarValue { Value: null } => false,
        ScalarValue scalar when scalar.Value is not (bool or int or long or double or decimal or DateTime or DateTimeOffset or TimeSpan or Guid)
            => Dirty(scalar.Value.ToString()),
        SequenceValue sequence => AnyContains(sequence.Elements),
        StructureValue structure => AnyContains(structure.Properties),
        DictionaryValue dictionary => dictionary.Elements.Any(pair => Contains(pair.Key) || Contains(pair.Value)),
        _ => false,
    };

    // Loops, not LINQ: every event carries a structure (its EventId), and a lambda over `this` is a new delegate each time.
    private bool AnyContains(IReadOnlyList<LogEventPropertyValue> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (Contains(values[i]))
            {
                return true;
            }
        }

        return false;
    }

    private bool AnyContains(IReadOnlyList<LogEventProperty> properties)
    {
        for (var i = 0; i < properties.Count; i++)
        {
            if (Contains(properties[i].Value))
            {
                return true;
            }
        }

        return false;
    }

    private LogEvent Redact(LogEvent logEvent)
    {
        var template = Dirty(logEvent.MessageTemplate.Text)
            ? TemplateParser.Parse(Clean(logEvent.MessageTemplate.Text))
            : logEvent.MessageTemplate;
        var properties = logEvent.Properties.Select(p => new LogEventProperty(p.Key, Redact(p.Value)));
        var exception = logEvent.Exception is { } ex && Dirty(ex.ToString())
            ? new RedactedException(ex.GetType().FullName ?? ex.GetType().Name, Clean(ex.Message), Clean(ex.ToString()))
            : logEvent.Exception;
        return new LogEvent(logEvent.Timestamp, logEvent.Level, exception, template, properties, logEvent.TraceId ?? default, logEvent.SpanId ?? default);
    }

    private LogEventPropertyValue Redact(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: string text } => new ScalarValue(Clean(text)),
        ScalarValue { Value: Uri uri } when Dirty(uri.OriginalString) => new ScalarValue(Clean(uri.OriginalString)),
        ScalarValue { Value: not null } scalar when Contains(scalar) => new ScalarValue(Clean(scalar.Value.ToString()!)),
        SequenceValue sequence => new SequenceValue(sequence.Elements.Select(Redact)),
        StructureValue structure => new StructureValue(structure.Properties.Select(p => new LogEventProperty(p.Name, Redact(p.Value))), structure.TypeTag),
        DictionaryValue dictionary => new DictionaryValue(dictionary.Elements.Select(pair =>
            new KeyValuePair<ScalarValue, LogEventPropertyValue>((ScalarValue)Redact(pair.Key), Redact(pair.Value)))),
        _ => value,
    };

    /// <summary>An exception as it would print, with the secrets taken out; the original never reaches a sink.</summary>
    private sealed class RedactedException(string typeName, string message, string text) : Exception(message)
    {
        public string OriginalType { get; } = typeName;

        public override string ToString() => text;
    }

    /// <summary>A key, or an email address: log lines carry neither in clear (emails as <c>a***@example.com</c>).</summary>
    private bool Dirty(string? text) => redactor.ContainsSecret(text) || SensitiveJson.ContainsEmail(text);

    private string Clean(string text) => SensitiveJson.MaskEmails(redactor.Redact(text));
}
