//! placeholder
mod evidence;
mod repo;
mod yaml_pos;
