import {
  ResponderBuilder,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  ServerListenerBuilder,
  type ServiceDefinition,
  status,
} from '@grpc/grpc-js';

/** What a request decodes to when its bytes are not the method's protobuf message. */
const UNDECODABLE: unique symbol = Symbol('undecodable request');

/**
 * The service with request decoders that do not throw: grpc-js answers a throwing decoder
 * with INTERNAL ("Error deserializing request") before any interceptor or handler sees it,
 * which blames the coordinator for the caller's bytes. Use with `undecodableRequestInterceptor`.
 */
export function withTolerantDecoding<S extends ServiceDefinition>(service: S): S {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service)) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch {
          return UNDECODABLE;
        }
      },
    };
  }
  return wrapped as S;
}

/**
 * Ends a call whose request did not decode with INVALID_ARGUMENT, before its handler sees
 * it: the caller's bytes are at fault, not the coordinator.
 */
export const undecodableRequestInterceptor: ServerInterceptor = (
  _method,
  call: ServerInterceptingCallInterface,
) =>
  new ServerInterceptingCall(
    call,
    new ResponderBuilder()
      .withStart((next) =>
        next(
          new ServerListenerBuilder()
            .withOnReceiveMessage((message, nextMessage) => {
              if (message === UNDECODABLE) {
                call.sendStatus({
                  code: status.INVALID_ARGUMENT,
                  details: 'request is not a valid protobuf message',
                });
                return;
              }
              nextMessage(message);
            })
            .build(),
        ),
      )
      .build(),
  );
