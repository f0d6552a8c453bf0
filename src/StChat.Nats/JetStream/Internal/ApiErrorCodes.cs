namespace StChat.Nats.JetStream.Internal;

// JetStream err_code values the client acts on.
internal static class ApiErrorCodes
{
    public const int StreamNameInUse = 10058;
}
