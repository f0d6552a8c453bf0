using System.Collections;
using Microsoft.Extensions.Logging;

namespace StChat.Server.Logging;

internal sealed class RedactingLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var redacted = new RedactedState(LogRedaction.Redact(formatter(state, exception)), state as IReadOnlyList<KeyValuePair<string, object?>>);
        inner.Log(logLevel, eventId, redacted, exception is null ? null : new RedactedException(exception), static (s, _) => s.Message);
    }

    // The message and the key-values the formatters write (the JSON formatter writes them as "State"), redacted.
    private sealed class RedactedState(string message, IReadOnlyList<KeyValuePair<string, object?>>? values)
        : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message => message;

        public int Count => values?.Count ?? 0;

        public KeyValuePair<string, object?> this[int index] => values![index] is var (key, value) && value is string or Uri
            ? new(key, LogRedaction.Redact(value.ToString()!))
            : values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => message;
    }

    // What the formatters write of an exception is its ToString(): message, inner exceptions and stack trace.
    private sealed class RedactedException(Exception original) : Exception(LogRedaction.Redact(original.Message))
    {
        public override string? StackTrace => original.StackTrace;

        public override string ToString() => LogRedaction.Redact(original.ToString());
    }
}
