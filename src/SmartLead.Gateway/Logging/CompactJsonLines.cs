using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Json;
using Serilog.Parsing;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// Writes an event as the line Serilog's <see cref="RenderedCompactJsonFormatter"/> writes, byte for byte, but
/// straight into UTF-8 bytes: that formatter renders the message into a new string, writes through a
/// <see cref="TextWriter"/> one small piece at a time and leaves the encoding to the writer, a good part of the log's
/// cost at one line per request. The shapes every line has (the message's text and its string and number values,
/// string, number and structure properties) are written here; anything else (an alignment, a sequence, a dictionary,
/// other scalar types) is handed to Serilog's own rendering and JSON value formatter and its text copied, so no
/// rule of theirs is re-implemented for the rare cases. A test compares the two on many events.
/// Used by one thread at a time (the stdout writer): it keeps its scratch buffers between events.
/// </summary>
internal sealed class CompactJsonLines
{
    private const string TypeTagName = "$type";

    private static readonly JsonValueFormatter SerilogValues = new(typeTagName: TypeTagName);

    // What Serilog escapes in a JSON string; everything else is written as it is.
    private static readonly SearchValues<char> Escaped = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000B\f\r\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\"\\");

    // Per template: its tokens as an array (Tokens is an IEnumerable) and its event id (a hash of its text).
    private readonly ConditionalWeakTable<MessageTemplate, Template> _templates = [];
    private readonly StringWriter _fallback = new(CultureInfo.InvariantCulture);
    private char[] _message = new char[512];
    private int _messageLength;

    public void Write(LogEvent logEvent, ByteBuffer output)
    {
        var template = _templates.GetValue(logEvent.MessageTemplate, static t => new Template(t));

        output.Append("{\"@t\":\""u8);
        output.Advance(Formatted(logEvent.Timestamp.UtcDateTime, output.GetSpan(40), "O"));
        output.Append("\",\"@m\":"u8);
        RenderMessage(template.Tokens, logEvent.Properties);
        WriteString(_message.AsSpan(0, _messageLength), output);
        output.Append(",\"@i\":\""u8);
        output.Append(template.EventId);
        output.Append((byte)'"');

        if (logEvent.Level != LogEventLevel.Information)
        {
            output.Append(",\"@l\":\""u8);
            output.Append(LevelName(logEvent.Level));
            output.Append((byte)'"');
        }

        if (logEvent.Exception is { } exception)
        {
            output.Append(",\"@x\":"u8);
            WriteString(exception.ToString(), output);
        }

        if (logEvent.TraceId is { } traceId)
        {
            output.Append(",\"@tr\":\""u8);
            Span<byte> id = stackalloc byte[16];
            traceId.CopyTo(id);
            WriteHex(id, output);
            output.Append((byte)'"');
        }

        if (logEvent.SpanId is { } spanId)
        {
            output.Append(",\"@sp\":\""u8);
            Span<byte> id = stackalloc byte[8];
            spanId.CopyTo(id);
            WriteHex(id, output);
            output.Append((byte)'"');
        }

        // Serilog keeps the properties in a Dictionary: enumerated as one, the enumerator is not boxed.
        if (logEvent.Properties is Dictionary<string, LogEventPropertyValue> dictionary)
        {
            foreach (var (name, value) in dictionary)
            {
                WriteProperty(name, value, output);
            }
        }
        else
        {
            foreach (var (name, value) in logEvent.Properties)
            {
                WriteProperty(name, value, output);
            }
        }

        output.Append("}\n"u8);
    }

    private void WriteProperty(string name, LogEventPropertyValue value, ByteBuffer output)
    {
        output.Append((byte)',');
        if (name.StartsWith('@'))
        {
            // Serilog's rule: a property name that starts with '@' gets a second one, so it is not read as reserved.
            WriteString('@' + name, output);
        }
        else
        {
            WriteString(name, output);
        }

        output.Append((byte)':');
        WriteValue(value, output);
    }

    private void RenderMessage(MessageTemplateToken[] tokens, IReadOnlyDictionary<string, LogEventPropertyValue> properties)
    {
        _messageLength = 0;
        foreach (var token in tokens)
        {
            if (token is TextToken text)
            {
                AppendToMessage(text.Text);
                continue;
            }

            var property = (PropertyToken)token;
            if (!properties.TryGetValue(property.PropertyName, out var value))
            {
                AppendToMessage(property.ToString()); // the token as written, braces and all
            }
            else if (property.Alignment is null && value is ScalarValue { Value: string s })
            {
                if (property.Format == "l")
                {
                    AppendToMessage(s);
                }
                else
                {
                    // Serilog's rendering of a string: in quotes, its own quotes backslashed.
                    AppendToMessage("\"");
                    AppendQuotedToMessage(s);
                    AppendToMessage("\"");
                }
            }
            else if (property.Alignment is null && value is ScalarValue { Value: int or long or double } number)
            {
                AppendToMessage(number.Value, property.Format);
            }
            else
            {
                _fallback.GetStringBuilder().Clear();
                property.Render(properties, _fallback, CultureInfo.InvariantCulture);
                foreach (var chunk in _fallback.GetStringBuilder().GetChunks())
                {
                    AppendToMessage(chunk.Span);
                }
            }
        }
    }

    private void WriteValue(LogEventPropertyValue value, ByteBuffer output)
    {
        switch (value)
        {
            case ScalarValue { Value: null }:
                output.Append("null"u8);
                break;
            case ScalarValue { Value: string s }:
                WriteString(s, output);
                break;
            case ScalarValue { Value: int i }:
                output.Advance(Formatted(i, output.GetSpan(16)));
                break;
            case ScalarValue { Value: long l }:
                output.Advance(Formatted(l, output.GetSpan(24)));
                break;
            case ScalarValue { Value: double d } when double.IsFinite(d):
                output.Advance(Formatted(d, output.GetSpan(32), "R"));
                break;
            case ScalarValue { Value: bool b }:
                output.Append(b ? "true"u8 : "false"u8);
                break;
            case StructureValue structure:
                output.Append((byte)'{');
                var first = true;
                foreach (var property in structure.Properties)
                {
                    if (!first)
                    {
                        output.Append((byte)',');
                    }

                    first = false;
                    WriteString(property.Name, output);
                    output.Append((byte)':');
                    WriteValue(property.Value, output);
                }

                if (structure.TypeTag is not null)
                {
                    if (!first)
                    {
                        output.Append((byte)',');
                    }

                    WriteString(TypeTagName, output);
                    output.Append((byte)':');
                    WriteString(structure.TypeTag, output);
                }

                output.Append((byte)'}');
                break;
            default:
                _fallback.GetStringBuilder().Clear();
                SerilogValues.Format(value, _fallback);
                foreach (var chunk in _fallback.GetStringBuilder().GetChunks())
                {
                    WriteUtf8(chunk.Span, output);
                }

                break;
        }
    }

    /// <summary>A JSON string as Serilog writes one: only quotes, backslashes and control characters escaped.</summary>
    private static void WriteString(ReadOnlySpan<char> text, ByteBuffer output)
    {
        output.Append((byte)'"');
        int next;
        while ((next = text.IndexOfAny(Escaped)) >= 0)
        {
            WriteUtf8(text[..next], output);
            var c = text[next];
            switch (c)
            {
                case '"':
                    output.Append("\\\""u8);
                    break;
                case '\\':
                    output.Append("\\\\"u8);
                    break;
                case '\n':
                    output.Append("\\n"u8);
                    break;
                case '\r':
                    output.Append("\\r"u8);
                    break;
                case '\f':
                    output.Append("\\f"u8);
                    break;
                case '\t':
                    output.Append("\\t"u8);
                    break;
                default:
                    output.Append("\\u00"u8);
                    output.Advance(Formatted((byte)c, output.GetSpan(2), "X2"));
                    break;
            }

            text = text[(next + 1)..];
        }

        WriteUtf8(text, output);
        output.Append((byte)'"');
    }

    /// <summary>UTF-8 of text, an unpaired surrogate as U+FFFD (as the StreamWriter's encoding did).</summary>
    private static void WriteUtf8(ReadOnlySpan<char> text, ByteBuffer output)
    {
        while (!text.IsEmpty)
        {
            var status = Utf8.FromUtf16(text, output.GetSpan(Math.Min(text.Length, 4096) * 3), out var read, out var written);
            output.Advance(written);
            text = text[read..];
            if (status is not (OperationStatus.Done or OperationStatus.DestinationTooSmall))
            {
                throw new InvalidOperationException($"UTF-8 conversion stopped: {status}.");
            }
        }
    }

    /// <summary>Lower-case hex, as <c>ActivityTraceId.ToHexString</c> writes an id.</summary>
    private static void WriteHex(ReadOnlySpan<byte> id, ByteBuffer output)
    {
        Convert.TryToHexStringLower(id, output.GetSpan(id.Length * 2), out var written);
        output.Advance(written);
    }

    private void AppendToMessage(ReadOnlySpan<char> text)
    {
        EnsureMessageRoom(text.Length);
        text.CopyTo(_message.AsSpan(_messageLength));
        _messageLength += text.Length;
    }

    private void AppendQuotedToMessage(string text)
    {
        foreach (var c in text)
        {
            if (c == '"')
            {
                AppendToMessage("\\\"");
            }
            else
            {
                EnsureMessageRoom(1);
                _message[_messageLength++] = c;
            }
        }
    }

    private void AppendToMessage(object number, string? format)
    {
        // The text IFormattable.ToString(format, InvariantCulture) gives, which is what Serilog writes for numbers.
        while (true)
        {
            var room = _message.AsSpan(_messageLength);
            var done = number switch
            {
                int i => i.TryFormat(room, out var written, format, CultureInfo.InvariantCulture) && Advanced(written),
                long l => l.TryFormat(room, out var written, format, CultureInfo.InvariantCulture) && Advanced(written),
                double d => d.TryFormat(room, out var written, format, CultureInfo.InvariantCulture) && Advanced(written),
                _ => throw new ArgumentOutOfRangeException(nameof(number)),
            };
            if (done)
            {
                return;
            }

            EnsureMessageRoom(_message.Length);
        }
    }

    private bool Advanced(int written)
    {
        _messageLength += written;
        return true;
    }

    private void EnsureMessageRoom(int extra)
    {
        if (_messageLength + extra > _message.Length)
        {
            Array.Resize(ref _message, Math.Max(_message.Length * 2, _messageLength + extra));
        }
    }

    private static int Formatted<T>(T value, Span<byte> destination, string? format = null)
        where T : IUtf8SpanFormattable =>
        value.TryFormat(destination, out var written, format, CultureInfo.InvariantCulture)
            ? written
            : throw new InvalidOperationException("A number or time did not fit its buffer.");

    private static ReadOnlySpan<byte> LevelName(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "Verbose"u8,
        LogEventLevel.Debug => "Debug"u8,
        LogEventLevel.Information => "Information"u8,
        LogEventLevel.Warning => "Warning"u8,
        LogEventLevel.Error => "Error"u8,
        LogEventLevel.Fatal => "Fatal"u8,
        _ => Encoding.ASCII.GetBytes(level.ToString()),
    };

    private sealed class Template(MessageTemplate template)
    {
        public MessageTemplateToken[] Tokens { get; } = [.. template.Tokens];

        public byte[] EventId { get; } = Encoding.ASCII.GetBytes(EventIdHash.Compute(template.Text).ToString("x8", CultureInfo.InvariantCulture));
    }
}

/// <summary>A growable run of bytes, written from the front and emptied whole: the writer's block of lines.</summary>
internal sealed class ByteBuffer(int capacity)
{
    private byte[] _bytes = new byte[capacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, Length);

    public Span<byte> GetSpan(int sizeHint)
    {
        if (Length + sizeHint > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + sizeHint));
        }

        return _bytes.AsSpan(Length);
    }

    public void Advance(int count) => Length += count;

    public void Append(byte value)
    {
        GetSpan(1)[0] = value;
        Length++;
    }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Length += bytes.Length;
    }

    /// <summary>Back to <paramref name="length"/> bytes: drops what was written after it (a line cut by an error).</summary>
    public void Truncate(int length) => Length = length;
}
