namespace StChat.Nats.JetStream;

/// <summary>
/// The JetStream API answered with an error, such as
/// <c>{"error":{"code":404,"err_code":10059,"description":"stream not found"}}</c>.
/// </summary>
public sealed class NatsJSApiException : NatsJSException
{
    /// <summary>Creates the exception from the fields of an API error reply.</summary>
    /// <param name="code">HTTP-like status code, such as 404.</param>
    /// <param name="errCode">JetStream error code, such as 10059 (stream not found).</param>
    /// <param name="description">Server's description of the error.</param>
    public NatsJSApiException(int code, int errCode, string description)
        : base($"JetStream API error {code} (err_code {errCode}): {description}")
    {
        Code = code;
        ErrCode = errCode;
        Description = description;
    }

    /// <summary>HTTP-like status code, such as 400, 404 or 500.</summary>
    public int Code { get; }

    /// <summary>JetStream error code that identifies the error precisely, such as 10059 (stream not found).</summary>
    public int ErrCode { get; }

    /// <summary>Server's description of the error.</summary>
    public string Description { get; }
}
