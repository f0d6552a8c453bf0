using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace StChat.Nats;

/// <summary>
/// Message headers in wire order. A key may occur more than once; lookups ignore key case.
/// Messages from the server may carry a status line (<c>NATS/1.0 503</c>) exposed as <see cref="Code"/>.
/// </summary>
public sealed class NatsHeaders : IEnumerable<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _entries = [];

    /// <summary>Creates an empty header set.</summary>
    public NatsHeaders()
    {
    }

    internal NatsHeaders(int code, string? description)
    {
        Code = code;
        Description = description;
    }

    /// <summary>Status code from the <c>NATS/1.0 503</c> line; 0 when the message has none.</summary>
    public int Code { get; }

    /// <summary>Status text after the code, such as <c>No Messages</c>; null when there is none.</summary>
    public string? Description { get; }

    /// <summary>Number of key/value pairs, counting repeated keys once per value.</summary>
    public int Count => _entries.Count;

    /// <summary>The first value of <paramref name="key"/>, or null. Setting replaces every value of the key.</summary>
    public string? this[string key]
    {
        get => TryGetValue(key, out var value) ? value : null;
        set
        {
            _entries.RemoveAll(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase));
            if (value is not null)
            {
                Add(key, value);
            }
        }
    }

    /// <summary>Appends a value; existing values of the same key are kept.</summary>
    public void Add(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in key)
        {
            if (c <= ' ' || c == ':' || c > '~')
            {
                throw new ArgumentException($"Header key '{key}' contains a character not allowed in a NATS header key.", nameof(key));
            }
        }

        foreach (var c in value)
        {
            if (c is '\r' or '\n')
            {
                throw new ArgumentException("Header values must not contain CR or LF.", nameof(value));
            }
        }

        _entries.Add(new KeyValuePair<string, string>(key, value));
    }

    /// <summary>Gets the first value of <paramref name="key"/>.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>All values of <paramref name="key"/> in wire order; empty when absent.</summary>
    public IReadOnlyList<string> GetValues(string key)
    {
        List<string>? values = null;
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                (values ??= []).Add(entry.Value);
            }
        }

        return values is null ? [] : values;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // Parsed values come straight from the wire and skip Add's checks: the server already framed them.
    internal void AddParsed(string key, string value) => _entries.Add(new KeyValuePair<string, string>(key, value));
}
