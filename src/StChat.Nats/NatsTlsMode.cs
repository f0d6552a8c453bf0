namespace StChat.Nats;

/// <summary>When the connection uses TLS.</summary>
public enum NatsTlsMode
{
    /// <summary>TLS when the URL is <c>tls://</c> or the server requires it.</summary>
    Auto,

    /// <summary>Always TLS; fail when the server does not offer it.</summary>
    Require,

    /// <summary>Never TLS; fail when the server requires it.</summary>
    Disable,
}
