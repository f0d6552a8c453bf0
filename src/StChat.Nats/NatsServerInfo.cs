using System.Text.Json.Serialization;

namespace StChat.Nats;

/// <summary>The server's INFO message.</summary>
public sealed record NatsServerInfo
{
    /// <summary>Unique id of the server.</summary>
    [JsonPropertyName("server_id")]
    public string ServerId { get; init; } = "";

    /// <summary>Configured name of the server.</summary>
    [JsonPropertyName("server_name")]
    public string ServerName { get; init; } = "";

    /// <summary>Server version, such as <c>2.9.10</c>.</summary>
    [JsonPropertyName("version")]
    public string Version { get; init; } = "";

    /// <summary>Go version the server was built with.</summary>
    [JsonPropertyName("go")]
    public string? Go { get; init; }

    /// <summary>Host the server listens on.</summary>
    [JsonPropertyName("host")]
    public string Host { get; init; } = "";

    /// <summary>Port the server listens on.</summary>
    [JsonPropertyName("port")]
    public int Port { get; init; }

    /// <summary>Whether the server accepts header messages (HPUB/HMSG).</summary>
    [JsonPropertyName("headers")]
    public bool Headers { get; init; }

    /// <summary>Largest payload, headers included, the server accepts.</summary>
    [JsonPropertyName("max_payload")]
    public long MaxPayload { get; init; } = 1024 * 1024;

    /// <summary>Protocol version the server speaks.</summary>
    [JsonPropertyName("proto")]
    public int ProtocolVersion { get; init; }

    /// <summary>Id the server gave this client.</summary>
    [JsonPropertyName("client_id")]
    public ulong ClientId { get; init; }

    /// <summary>Client address as the server sees it.</summary>
    [JsonPropertyName("client_ip")]
    public string? ClientIp { get; init; }

    /// <summary>Whether the server requires authentication.</summary>
    [JsonPropertyName("auth_required")]
    public bool AuthRequired { get; init; }

    /// <summary>Whether the server requires TLS.</summary>
    [JsonPropertyName("tls_required")]
    public bool TlsRequired { get; init; }

    /// <summary>Whether the server offers TLS but does not require it.</summary>
    [JsonPropertyName("tls_available")]
    public bool TlsAvailable { get; init; }

    /// <summary>Whether JetStream is enabled.</summary>
    [JsonPropertyName("jetstream")]
    public bool JetStream { get; init; }

    /// <summary>Nonce for signature-based authentication.</summary>
    [JsonPropertyName("nonce")]
    public string? Nonce { get; init; }

    /// <summary>Other cluster members' client URLs.</summary>
    [JsonPropertyName("connect_urls")]
    public IReadOnlyList<string>? ConnectUrls { get; init; }

    /// <summary>Whether the server is entering lame duck mode and will soon close connections.</summary>
    [JsonPropertyName("ldm")]
    public bool LameDuckMode { get; init; }
}
