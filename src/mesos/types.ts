// Plain-object shapes of the Mesos v1 messages declared in proto/mesos. Field names are the proto
// field names (snake_case), exactly as Mesos spells them in JSON, so an object can be sent in
// either encoding unchanged. Enums are their names as strings, bytes are Buffers, 64-bit
// integers are JavaScript numbers (nanosecond timestamps lose sub-microsecond precision).

export interface ID { value: string }
export type FrameworkID = ID;
export type OfferID = ID;
export type AgentID = ID;
export type TaskID = ID;
export type ExecutorID = ID;
export type OperationID = ID;
export type ResourceProviderID = ID;
export interface ContainerID { value: string; parent?: ContainerID }
export interface TimeInfo { nanoseconds: number }
export interface DurationInfo { nanoseconds: number }

export interface Address { hostname?: string; ip?: string; port: number }
export interface Parameter { key: string; value: string }
export interface URL { scheme: string; address: Address; path?: string; query?: Parameter[]; fragment?: string }
export interface Unavailability { start: TimeInfo; duration?: DurationInfo }
export interface Label { key: string; value?: string }
export interface Labels { labels?: Label[] }

export type FrameworkCapabilityType =
  | 'UNKNOWN' | 'REVOCABLE_RESOURCES' | 'TASK_KILLING_STATE' | 'GPU_RESOURCES' | 'SHARED_RESOURCES'
  | 'PARTITION_AWARE' | 'MULTI_ROLE' | 'RESERVATION_REFINEMENT' | 'REGION_AWARE';

export interface FrameworkInfo {
  user: string;
  name: string;
  id?: FrameworkID;
  /** Seconds. Mesos defaults to 0: any disconnection kills every task. */
  failover_timeout?: number;
  checkpoint?: boolean;
  role?: string;
  roles?: string[];
  hostname?: string;
  principal?: string;
  webui_url?: string;
  capabilities?: { type?: FrameworkCapabilityType }[];
  labels?: Labels;
}

export interface DomainInfo {
  fault_domain?: { region: { name: string }; zone: { name: string } };
}

export interface MasterInfo {
  id: string;
  /** IPv4 address packed in network byte order, as Mesos stores it. */
  ip: number;
  port: number;
  pid?: string;
  hostname?: string;
  version?: string;
  address?: Address;
  domain?: DomainInfo;
  capabilities?: { type?: string }[];
}

export type ValueType = 'SCALAR' | 'RANGES' | 'SET' | 'TEXT';
export interface Scalar { value: number }
export interface Range { begin: number; end: number }
export interface Ranges { range?: Range[] }
export interface ValueSet { item?: string[] }
export interface Text { value: string }

export interface Attribute {
  name: string;
  type: ValueType;
  scalar?: Scalar;
  ranges?: Ranges;
  set?: ValueSet;
  text?: Text;
}

export interface ReservationInfo { type?: 'UNKNOWN' | 'STATIC' | 'DYNAMIC'; role?: string; principal?: string; labels?: Labels }

export interface Resource {
  provider_id?: ResourceProviderID;
  name: string;
  type: ValueType;
  scalar?: Scalar;
  ranges?: Ranges;
  set?: ValueSet;
  role?: string;
  allocation_info?: { role?: string };
  reservation?: ReservationInfo;
  reservations?: ReservationInfo[];
  disk?: Record<string, unknown>;
  revocable?: Record<string, never>;
  shared?: Record<string, never>;
}

export interface AgentInfo {
  hostname: string;
  port?: number;
  resources?: Resource[];
  attributes?: Attribute[];
  id?: AgentID;
  domain?: DomainInfo;
}

export interface EnvironmentVariable { name: string; type?: 'UNKNOWN' | 'VALUE' | 'SECRET'; value?: string }
export interface CommandURI { value: string; executable?: boolean; extract?: boolean; cache?: boolean; output_file?: string }

export interface CommandInfo {
  uris?: CommandURI[];
  environment?: { variables?: EnvironmentVariable[] };
  /** Mesos defaults to true (run `value` with /bin/sh -c); set false to exec value + arguments. */
  shell?: boolean;
  value?: string;
  arguments?: string[];
  user?: string;
}

export interface KillPolicy { grace_period?: DurationInfo }

export interface ExecutorInfo {
  type?: 'UNKNOWN' | 'DEFAULT' | 'CUSTOM';
  executor_id: ExecutorID;
  framework_id?: FrameworkID;
  command?: CommandInfo;
  resources?: Resource[];
  name?: string;
  source?: string;
  data?: Buffer;
  shutdown_grace_period?: DurationInfo;
  labels?: Labels;
}

export interface TaskInfo {
  name: string;
  task_id: TaskID;
  agent_id: AgentID;
  resources?: Resource[];
  executor?: ExecutorInfo;
  command?: CommandInfo;
  kill_policy?: KillPolicy;
  data?: Buffer;
  labels?: Labels;
  max_completion_time?: DurationInfo;
  limits?: Record<string, Scalar>;
}

export interface TaskGroupInfo { tasks?: TaskInfo[] }

export type TaskState =
  | 'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_KILLING' | 'TASK_FINISHED'
  | 'TASK_FAILED' | 'TASK_KILLED' | 'TASK_ERROR' | 'TASK_LOST' | 'TASK_DROPPED'
  | 'TASK_UNREACHABLE' | 'TASK_GONE' | 'TASK_GONE_BY_OPERATOR' | 'TASK_UNKNOWN';

/** States after which a task never changes again (UNREACHABLE and UNKNOWN are not terminal). */
export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED',
  'TASK_GONE', 'TASK_GONE_BY_OPERATOR',
]);

export function isTerminalTaskState(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.has(state);
}

export type TaskStatusSource = 'SOURCE_MASTER' | 'SOURCE_AGENT' | 'SOURCE_EXECUTOR';

export interface TaskStatus {
  task_id: TaskID;
  state: TaskState;
  message?: string;
  source?: TaskStatusSource;
  /** A TaskStatus.Reason name, e.g. REASON_RECONCILIATION. */
  reason?: string;
  data?: Buffer;
  agent_id?: AgentID;
  executor_id?: ExecutorID;
  /** Seconds since the epoch. */
  timestamp?: number;
  uuid?: Buffer;
  healthy?: boolean;
  labels?: Labels;
  unreachable_time?: TimeInfo;
  limitation?: { resources?: Resource[] };
}

export interface Filters {
  /** Seconds; Mesos defaults to 5. */
  refuse_seconds?: number;
}

export interface OfferOperation {
  type?: 'UNKNOWN' | 'LAUNCH' | 'LAUNCH_GROUP' | 'RESERVE' | 'UNRESERVE' | 'CREATE' | 'DESTROY'
    | 'GROW_VOLUME' | 'SHRINK_VOLUME' | 'CREATE_DISK' | 'DESTROY_DISK';
  id?: OperationID;
  launch?: { task_infos?: TaskInfo[] };
  launch_group?: { executor: ExecutorInfo; task_group: TaskGroupInfo };
  reserve?: { source?: Resource[]; resources?: Resource[] };
  unreserve?: { resources?: Resource[] };
  create?: { volumes?: Resource[] };
  destroy?: { volumes?: Resource[] };
}

export interface Offer {
  id: OfferID;
  framework_id: FrameworkID;
  agent_id: AgentID;
  hostname: string;
  url?: URL;
  domain?: DomainInfo;
  resources?: Resource[];
  attributes?: Attribute[];
  executor_ids?: ExecutorID[];
  unavailability?: Unavailability;
  allocation_info?: { role?: string };
}

export interface InverseOffer {
  id: OfferID;
  url?: URL;
  framework_id: FrameworkID;
  agent_id?: AgentID;
  unavailability: Unavailability;
  resources?: Resource[];
}

export type OperationState =
  | 'OPERATION_UNSUPPORTED' | 'OPERATION_PENDING' | 'OPERATION_FINISHED' | 'OPERATION_FAILED'
  | 'OPERATION_ERROR' | 'OPERATION_DROPPED' | 'OPERATION_UNREACHABLE'
  | 'OPERATION_GONE_BY_OPERATOR' | 'OPERATION_RECOVERING' | 'OPERATION_UNKNOWN';

export interface OperationStatus {
  operation_id?: OperationID;
  state: OperationState;
  message?: string;
  converted_resources?: Resource[];
  uuid?: { value: Buffer };
  agent_id?: AgentID;
  resource_provider_id?: ResourceProviderID;
}

// ---- scheduler.proto ----

export type SchedulerEventType =
  | 'UNKNOWN' | 'SUBSCRIBED' | 'OFFERS' | 'INVERSE_OFFERS' | 'RESCIND' | 'RESCIND_INVERSE_OFFER'
  | 'UPDATE' | 'UPDATE_OPERATION_STATUS' | 'MESSAGE' | 'FAILURE' | 'ERROR' | 'HEARTBEAT';

export interface SchedulerSubscribed {
  framework_id: FrameworkID;
  heartbeat_interval_seconds?: number;
  master_info?: MasterInfo;
}

export interface SchedulerMessage { agent_id: AgentID; executor_id: ExecutorID; data: Buffer }
export interface SchedulerFailure { agent_id?: AgentID; executor_id?: ExecutorID; status?: number }

export interface SchedulerEvent {
  type?: SchedulerEventType;
  subscribed?: SchedulerSubscribed;
  offers?: { offers?: Offer[] };
  inverse_offers?: { inverse_offers?: InverseOffer[] };
  rescind?: { offer_id: OfferID };
  rescind_inverse_offer?: { inverse_offer_id: OfferID };
  update?: { status: TaskStatus };
  update_operation_status?: { status: OperationStatus };
  message?: SchedulerMessage;
  failure?: SchedulerFailure;
  error?: { message: string };
}

export type SchedulerCallType =
  | 'UNKNOWN' | 'SUBSCRIBE' | 'TEARDOWN' | 'ACCEPT' | 'DECLINE' | 'ACCEPT_INVERSE_OFFERS'
  | 'DECLINE_INVERSE_OFFERS' | 'REVIVE' | 'KILL' | 'SHUTDOWN' | 'ACKNOWLEDGE'
  | 'ACKNOWLEDGE_OPERATION_STATUS' | 'RECONCILE' | 'RECONCILE_OPERATIONS' | 'MESSAGE' | 'REQUEST'
  | 'SUPPRESS' | 'UPDATE_FRAMEWORK';

export interface ReconcileTask { task_id: TaskID; agent_id?: AgentID }

export interface SchedulerCall {
  framework_id?: FrameworkID;
  type?: SchedulerCallType;
  subscribe?: { framework_info: FrameworkInfo; suppressed_roles?: string[] };
  accept?: { offer_ids?: OfferID[]; operations?: OfferOperation[]; filters?: Filters };
  decline?: { offer_ids?: OfferID[]; filters?: Filters };
  accept_inverse_offers?: { inverse_offer_ids?: OfferID[]; filters?: Filters };
  decline_inverse_offers?: { inverse_offer_ids?: OfferID[]; filters?: Filters };
  revive?: { roles?: string[] };
  kill?: { task_id: TaskID; agent_id?: AgentID; kill_policy?: KillPolicy };
  shutdown?: { executor_id: ExecutorID; agent_id: AgentID };
  acknowledge?: { agent_id: AgentID; task_id: TaskID; uuid: Buffer };
  acknowledge_operation_status?: {
    agent_id?: AgentID; resource_provider_id?: ResourceProviderID; uuid: Buffer; operation_id: OperationID;
  };
  reconcile?: { tasks?: ReconcileTask[] };
  reconcile_operations?: { operations?: { operation_id: OperationID; agent_id?: AgentID; resource_provider_id?: ResourceProviderID }[] };
  message?: SchedulerMessage;
  request?: { requests?: { agent_id?: AgentID; resources?: Resource[] }[] };
  suppress?: { roles?: string[] };
  update_framework?: { framework_info: FrameworkInfo; suppressed_roles?: string[] };
}

// ---- executor.proto ----

export type ExecutorEventType =
  | 'UNKNOWN' | 'SUBSCRIBED' | 'LAUNCH' | 'LAUNCH_GROUP' | 'KILL' | 'ACKNOWLEDGED' | 'MESSAGE'
  | 'ERROR' | 'SHUTDOWN' | 'HEARTBEAT';

export interface ExecutorSubscribed {
  executor_info: ExecutorInfo;
  framework_info: FrameworkInfo;
  agent_info: AgentInfo;
  container_id?: ContainerID;
}

export interface ExecutorEvent {
  type?: ExecutorEventType;
  subscribed?: ExecutorSubscribed;
  acknowledged?: { task_id: TaskID; uuid: Buffer };
  launch?: { task: TaskInfo };
  launch_group?: { task_group: TaskGroupInfo };
  kill?: { task_id: TaskID; kill_policy?: KillPolicy };
  message?: { data: Buffer };
  error?: { message: string };
}

export interface ExecutorCall {
  executor_id: ExecutorID;
  framework_id: FrameworkID;
  type?: 'UNKNOWN' | 'SUBSCRIBE' | 'UPDATE' | 'MESSAGE' | 'HEARTBEAT';
  subscribe?: { unacknowledged_tasks?: TaskInfo[]; unacknowledged_updates?: { status: TaskStatus }[] };
  update?: { status: TaskStatus };
  message?: { data: Buffer };
}

// ---- master.proto (operator API) ----

export interface OperatorCall {
  type?: 'UNKNOWN' | 'GET_HEALTH' | 'GET_METRICS' | 'GET_AGENTS' | 'GET_MASTER' | string;
  get_metrics?: { timeout?: DurationInfo };
}

export interface OperatorAgent {
  agent_info: AgentInfo;
  active: boolean;
  deactivated?: boolean;
  version: string;
  pid?: string;
  registered_time?: TimeInfo;
  reregistered_time?: TimeInfo;
  total_resources?: Resource[];
  allocated_resources?: Resource[];
  offered_resources?: Resource[];
  capabilities?: { type?: string }[];
}

export interface OperatorResponse {
  type?: 'UNKNOWN' | 'GET_HEALTH' | 'GET_METRICS' | 'GET_AGENTS' | 'GET_MASTER' | string;
  get_health?: { healthy: boolean };
  get_metrics?: { metrics?: { name: string; value?: number }[] };
  get_agents?: { agents?: OperatorAgent[]; recovered_agents?: AgentInfo[] };
  get_master?: { master_info?: MasterInfo; start_time?: number; elected_time?: number };
}
